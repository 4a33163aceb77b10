"""``python -m routing``: the routing engine for coordinators and for scripts.

Every failure is one readable line on stderr and a non-zero exit code (1: bad input or table,
2: bad command line); a traceback is never what a coordinator sees.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from routing.errors import RoutingError, TableError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage plus an English line
        self.exit(EXIT_USAGE, f"ошибка в команде: {message} (см. python -m routing --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m routing", description="Таблица маршрутизации обращений.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    validate = commands.add_parser("validate", help="проверить таблицу")
    validate.add_argument("table", type=Path)

    convert = commands.add_parser("convert", help="перевести таблицу в YAML, XLSX или CSV")
    convert.add_argument("table", type=Path)
    convert.add_argument("out", type=Path, help=".yaml, .xlsx, .zip или папка для CSV")

    classify = commands.add_parser("classify", help="JSON-строки обращений из stdin → решения")
    classify.add_argument("--table", type=Path, required=True)
    classify.add_argument("--model", type=Path)

    train = commands.add_parser("train", help="обучить модель на размеченных обращениях")
    train.add_argument("--table", type=Path, required=True)
    train.add_argument("--data", type=Path, required=True, help="CSV или JSON-строки")
    train.add_argument("--out", type=Path, required=True)
    train.add_argument("--holdout", type=float, default=0.0,
                       help="доля обращений, отложенных для eval (по хешу id)")
    train.add_argument("--folds", type=int, default=5,
                       help="частей для калибровки уверенности перекрёстной проверкой "
                            "(0 — без калибровки)")

    evaluate = commands.add_parser("eval", help="измерить качество маршрутизации")
    evaluate.add_argument("--table", type=Path, required=True)
    evaluate.add_argument("--model", type=Path)
    evaluate.add_argument("--data", type=Path, required=True)
    evaluate.add_argument("--holdout", type=float, default=0.0,
                          help="оценивать только на отложенной доле (та же, что при train)")
    evaluate.add_argument("--sweep", action="store_true",
                          help="показать компромисс «вопросы ↔ ошибки» для разных порогов")
    evaluate.add_argument("--route-precision", type=float, default=None,
                          help="целевая точность направления без вопроса (как ROUTE_PRECISION)")
    evaluate.add_argument("--json", action="store_true", help="вывести цифры в JSON")
    return parser


def _load_table(path: Path):
    from routing.tablefile import load_table

    return load_table(path)


def _classifier(table_path: Path, model_path: Path | None, route_precision: float | None = None):
    from routing.classify import DEFAULT_ROUTE_PRECISION, Classifier
    from routing.learn import AppealModel

    if route_precision is None:
        route_precision = DEFAULT_ROUTE_PRECISION
    _check_precision(route_precision)
    table = _load_table(table_path)
    model = AppealModel.load(model_path, table) if model_path else None
    return Classifier(table, model, route_precision=route_precision)


def _check_precision(value: float) -> None:
    if not 0.0 < value < 1.0:
        raise RoutingError(
            f"целевая точность должна быть больше 0 и меньше 1 (например 0.88), а не {value}"
        )


def _check_holdout(value: float) -> None:
    if not 0.0 <= value < 1.0:
        raise RoutingError(f"--holdout должен быть от 0 до 1 (не включая 1), а не {value}")


def cmd_validate(args) -> int:
    print(_load_table(args.table).summary())
    return EXIT_OK


def cmd_convert(args) -> int:
    from routing.tablefile import save_table

    table = _load_table(args.table)
    save_table(table, args.out)
    print(f"{args.out}: {table.summary()}")
    return EXIT_OK


def _number(value, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"поле {name} должно быть числом")
    return float(value)


def cmd_classify(args) -> int:
    classifier = _classifier(args.table, args.model)
    failures = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        appeal_id = None
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("ожидается JSON-объект")
            appeal_id = request.get("id")
            text = request.get("text")
            if not isinstance(text, str):
                raise ValueError("нет поля text со строкой")
            lat, lon = _number(request.get("lat"), "lat"), _number(request.get("lon"), "lon")
            result = classifier.classify(text, lat, lon)
        except (json.JSONDecodeError, ValueError) as error:
            failures += 1
            reason = f"не JSON ({error.msg})" if isinstance(error, json.JSONDecodeError) else error
            print(f"строка {number}: {reason}", file=sys.stderr)
            print(json.dumps({"id": appeal_id, "error": str(reason)}, ensure_ascii=False),
                  flush=True)
            continue
        print(json.dumps({"id": appeal_id, **result.to_json()}, ensure_ascii=False), flush=True)
    return EXIT_PROBLEMS if failures else EXIT_OK


def _labelled(table, data: Path, holdout: float, part: str):
    from routing.dataset import read_labelled, split
    from routing.evaluate import LabelResolver

    _check_holdout(holdout)
    appeals = read_labelled(data)
    if holdout:
        appeals = split(appeals, holdout, part)
    if not appeals:
        raise RoutingError(f"{data}: после отбора по --holdout не осталось обращений")
    topics, bodies = LabelResolver(table).resolve_all(appeals, str(data))
    return appeals, topics, bodies


def cmd_train(args) -> int:
    from routing.crossval import calibrate
    from routing.learn import train_model
    from routing.retrain import analysed_with_places

    if not 0 <= args.folds <= 20 or args.folds == 1:
        raise RoutingError(
            f"--folds должно быть 0 (без калибровки) или от 2 до 20, а не {args.folds}"
        )
    table = _load_table(args.table)
    appeals, topics, bodies = _labelled(table, args.data, args.holdout, "train")
    started = time.perf_counter()
    texts, places = analysed_with_places(table, [appeal.text for appeal in appeals])
    model = train_model(table, texts, places, topics, bodies)
    model.calibration = calibrate(table, appeals, texts, places, topics, bodies, args.folds)
    model.save(args.out)
    heads = [name for name, head in (("темы", model.topic_head), ("органы", model.body_head))
             if head is not None]
    print(f"{args.out}: обучено на {len(appeals)} обращениях ({', '.join(heads)}) "
          f"за {time.perf_counter() - started:.0f} с")
    if model.calibration is not None:
        print(f"уверенность откалибрована на {len(model.calibration.raw)} обращениях "
              f"перекрёстной проверкой ({args.folds} частей)")
    elif args.folds:
        print("уверенность не откалибрована: мало обращений с органом (нужно от 100)")
    return EXIT_OK


def cmd_eval(args) -> int:
    from routing.evaluate import evaluate, sweep

    classifier = _classifier(args.table, args.model, args.route_precision)
    appeals, topics, bodies = _labelled(classifier.table, args.data, args.holdout, "test")
    report = evaluate(classifier, appeals, topics, bodies)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
    if args.sweep:
        _print_calibration(classifier)
        print("\nна этих обращениях:")
        print("порог | направлено сразу | из них верно | не туда | вопрос | итог верно")
        levels = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
        chosen = classifier.thresholds.route
        if chosen not in levels:
            levels = tuple(sorted((*levels, chosen)))
        for level, row in sweep(classifier, appeals, topics, bodies, levels):
            mark = "  ← выбран" if level == chosen else ""
            print(f"{level:.2f} | {100 * row.routed:5.1f}% | {100 * row.routed_precision:5.1f}% "
                  f"| {100 * row.routed_wrong:5.1f}% | {100 * row.asked:5.1f}% "
                  f"| {100 * row.final_right:5.1f}%{mark}")
    return EXIT_OK


def _print_calibration(classifier) -> None:
    """The cross-validated curve the threshold was chosen from (what `train` saw)."""
    calibration, point = classifier.calibration, classifier.route_point
    if calibration is None or point is None:
        print("\nмодель не откалибрована (нет модели или обучена с --folds 0): "
              f"порог {classifier.thresholds.route:.2f} задан в коде")
        return
    print(f"\nкалибровка перекрёстной проверкой ({len(calibration.raw)} обращений обучения):")
    print("порог | направлено сразу | из них верно")
    for row in calibration.curve():
        mark = "  ← выбран" if row == point else ""
        print(f"{row.threshold:.2f} | {100 * row.coverage:5.1f}% "
              f"| {100 * row.precision:5.1f}%{mark}")


COMMANDS = {
    "validate": cmd_validate,
    "convert": cmd_convert,
    "classify": cmd_classify,
    "train": cmd_train,
    "eval": cmd_eval,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except TableError as error:
        for line in error.lines():
            print(line, file=sys.stderr)
        return EXIT_PROBLEMS
    except RoutingError as error:
        print(error, file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as error:
        print(f"{error.filename or ''}: {error.strerror or error}".lstrip(": "), file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130

