"""The model learns from the bot's own answers: a scheduled retrain, its versions, a rollback.

`retrain` (an APScheduler job, `bot.bootstrap`) reads the stored training examples — the body
that answered after a redirect, the body a coordinator or «Не наше» named, a coordinator's
labelled CSV — and hands them to `routing.retrain.retrain` in a thread: training never runs on
the event loop. The candidate is judged against the classifier in force on the newest examples
it did not train on and swapped in (`AppealCore.replace_table` with the same table, as a table
upload does) only if it is not worse. Every judged candidate is a version in
``tx.models`` with its figures, the rejected ones too, so `/model` shows what was tried.

Model files live in ``model_dir`` (one per accepted version, written before its row is
committed: a crash in between leaves an unused file, never a row without its file). The
version in force is put back on start (`restore`); a coordinator can put back an earlier one,
or the original ``ROUTING_MODEL`` file, from `/model`'s buttons (``tbl:model:N``; 0 is the
original). A new routing table keeps the model in force (`Coordination.model_path`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from pathlib import Path

from bot.core.coordination import (
    BUTTON_PREFIX,
    SYSTEM,
    Coordination,
    Reply,
    _chunks,
    build_classifier,
)
from bot.core.labels import check_labels
from bot.domain import texts
from bot.domain.messages import Button
from bot.domain.records import MODEL_RETRAIN, MODEL_ROLLBACK, ModelVersion, TrainingExample

log = logging.getLogger("bot.learning")

#: Button data of a rollback: ``tbl:model:7`` (the table tools' prefix, so the adapters
#: already hand it to `CoordinatorTools.press`).
MODEL_PREFIX = f"{BUTTON_PREFIX}model:"
#: Versions `/model` lists, and earlier ones offered as rollback buttons.
SHOWN_VERSIONS = 10
ROLLBACK_BUTTONS = 3
#: Where a coordinator's labelled rows come from (``training_examples.source``).
FROM_LABELS = "labels"


class Learning:
    def __init__(self, coordination: Coordination, model_dir: Path) -> None:
        self.coordination = coordination
        self.core = coordination.core
        self.repo = coordination.repo
        self.clock = coordination.clock
        self.model_dir = model_dir
        self.base_path = coordination.model_path  # the ROUTING_MODEL file, or None

    def _base_name(self) -> str:
        return texts.MODEL_BASE_FILE if self.base_path else texts.MODEL_BASE_NONE

    async def _serve(self, path: Path | None) -> str | None:
        """Build the classifier of the table in force with the model at ``path`` and swap it
        in; the reason when the model had to be left out (then nothing changes)."""
        table = self.core.table
        classifier, misfit = await asyncio.to_thread(build_classifier, table, path)
        if misfit:
            return misfit
        if self.core.table is not table:  # a table was applied meanwhile: keep its classifier
            return None
        self.coordination.model_path = path
        self.core.replace_table(table, classifier)
        return None

    # == the scheduled job =======================================================================
    async def retrain(self) -> ModelVersion | None:
        """Train, judge, record, and swap in if not worse; ``None``: too little to train on."""
        from routing.retrain import Example, retrain

        async with self.repo.transaction() as tx:
            stored = await tx.training.examples()
        examples = [
            Example(e.text, e.body, e.at, e.topic) for e in stored if e.body and e.at is not None
        ]
        now = self.clock.now()
        table, current = self.core.table, self.core.classifier
        verdict = await asyncio.to_thread(retrain, table, current, examples, now)
        if verdict.model is None:
            log.info("model retrain: too few labelled tickets (%d)", len(examples))
            return None
        path = None
        if verdict.not_worse:
            self.model_dir.mkdir(parents=True, exist_ok=True)
            path = self.model_dir / f"model-{now:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.pkl.gz"
            await asyncio.to_thread(verdict.model.save, path)
        version = ModelVersion(
            0, now, MODEL_RETRAIN, str(path) if path else None, verdict.not_worse,
            verdict.trained_on, verdict.tested_on, verdict.current_right,
            verdict.candidate_right, None, SYSTEM,
        )
        async with self.repo.transaction() as tx:
            number = await tx.models.add(version)
        if path is not None:
            await self._serve(path)
            await self._prune()
        log.info(
            "model retrain: version %d %s (%d/%d right, was %d)", number,
            "in force" if verdict.not_worse else "rejected", verdict.candidate_right,
            verdict.tested_on, verdict.current_right,
        )
        return version

    async def _prune(self) -> None:
        """Delete the model files no version a coordinator can still see refers to: a model is
        tens of megabytes and a retrain may be accepted every day, so old files would fill the
        disk. What `/model` lists (the last `SHOWN_VERSIONS`) keeps its file, the one in force
        included."""
        async with self.repo.transaction() as tx:
            shown = await tx.models.versions(SHOWN_VERSIONS)
            serving = await tx.models.in_force()
        keep = {Path(v.path) for v in [*shown, *([serving] if serving else [])] if v.path}
        removed = await asyncio.to_thread(delete_model_files, self.model_dir, keep)
        if removed:
            log.info("model files: %d old ones deleted", removed)

    async def restore(self) -> None:
        """On start: the version in force, if any, serves again."""
        async with self.repo.transaction() as tx:
            version = await tx.models.in_force()
        if version is None:
            return
        path = Path(version.path) if version.path else self.base_path
        if path is not None and not path.exists():
            log.warning("model version %d: its file is missing, the original serves", version.id)
            return
        if await self._serve(path):
            log.warning("model version %d does not fit the table in force, unused", version.id)

    # == the coordinator's view ==================================================================
    async def versions(self) -> Reply:
        async with self.repo.transaction() as tx:
            rows = await tx.models.versions(SHOWN_VERSIONS)
        if not rows:
            return Reply((texts.MODEL_NONE_YET.format(base=self._base_name()),))
        serving = next((v for v in rows if v.swapped), None)
        lines = [self._line(v) + (texts.MODEL_VERSION_CURRENT if v is serving else "")
                 for v in rows]
        in_force = serving.path if serving else None
        earlier = [v.id for v in rows
                   if v.swapped and v.source == MODEL_RETRAIN and v.path and v.path != in_force]
        buttons = [
            Button(texts.MODEL_ROLLBACK_BUTTON.format(version=n), f"{MODEL_PREFIX}{n}")
            for n in earlier[:ROLLBACK_BUTTONS]
        ]
        buttons.append(Button(texts.MODEL_ROLLBACK_BASE_BUTTON, f"{MODEL_PREFIX}0"))
        title = texts.MODEL_VERSIONS_TITLE.format(count=len(rows))
        return Reply(
            _chunks(title, lines, texts.MODEL_ROLLBACK_HINT),
            tuple((button,) for button in buttons),
        )

    def _line(self, version: ModelVersion) -> str:
        if version.source == MODEL_ROLLBACK:
            what = (texts.MODEL_WHAT_ROLLBACK.format(target=version.restores)
                    if version.restores else texts.MODEL_WHAT_ROLLBACK_BASE)
        else:
            what = texts.MODEL_WHAT_SWAPPED if version.swapped else texts.MODEL_WHAT_REJECTED
        return texts.MODEL_VERSION_LINE.format(
            version=version.id,
            when=texts.WHEN.format(date=version.at.astimezone(self.core.calendar.timezone)),
            what=what,
            trained=version.trained_on,
            tested=version.tested_on,
            current_right=version.current_right,
            candidate_right=version.candidate_right,
        )

    @staticmethod
    def owns(payload: str) -> bool:
        return payload.startswith(MODEL_PREFIX)

    async def rollback(self, payload: str, by: str) -> Reply:
        """Put back version N (0: the original model) as a new version, like a table rollback."""
        ident = payload.removeprefix(MODEL_PREFIX)
        if not ident.isdigit():
            return Reply(notice=texts.MODEL_ROLLBACK_UNKNOWN)
        target_id = int(ident)
        async with self.repo.transaction() as tx:
            target = await tx.models.version(target_id) if target_id else None
            serving = await tx.models.in_force()
        if target_id and (target is None or not target.swapped):
            return Reply(notice=texts.MODEL_ROLLBACK_UNKNOWN)
        target_path = target.path if target else None
        if (serving is not None and serving.path == target_path) or (
            serving is None and target is None
        ):
            return Reply(notice=texts.MODEL_ALREADY)
        path = Path(target_path) if target_path else self.base_path
        if path is not None and not path.exists():  # an old version whose file was deleted
            return Reply(notice=texts.MODEL_ROLLBACK_GONE.format(target=target_id))
        misfit = await self._serve(path)
        if misfit:
            return Reply((texts.MODEL_ROLLBACK_FAILED.format(target=target_id, reason=misfit),))
        copied = target or ModelVersion(0, self.clock.now(), MODEL_ROLLBACK, None, True,
                                        0, 0, 0, 0, None, by)
        async with self.repo.transaction() as tx:
            await tx.models.add(ModelVersion(
                0, self.clock.now(), MODEL_ROLLBACK, target_path, True, copied.trained_on,
                copied.tested_on, copied.current_right, copied.candidate_right,
                target_id or None, by,
            ))
        log.info("model: rolled back to version %d", target_id)
        text = (texts.MODEL_ROLLED_BACK.format(target=target_id) if target_id
                else texts.MODEL_ROLLED_BACK_BASE.format(base=self._base_name()))
        return Reply((text,), notice=texts.MODEL_ROLLED_BACK_NOTICE)

    # == labelled CSV ===========================================================================
    async def upload_labels(self, data: bytes, name: str) -> Reply:
        """A coordinator's labelled appeals: all stored as training examples, or none with one
        line per problem. The model in force is not touched either way."""
        check = await asyncio.to_thread(check_labels, data, self.core.table)
        if check.total_problems:
            hidden = check.total_problems - len(check.problems)
            more = texts.LABELS_MORE_PROBLEMS.format(count=hidden) if hidden else None
            header = texts.LABELS_INVALID.format(name=name, count=check.total_problems)
            return Reply(_chunks(header, [f"• {p}" for p in check.problems], more))
        now: datetime = self.clock.now()
        async with self.repo.transaction() as tx:
            for row in check.rows:
                example = TrainingExample(row.text, row.topic, row.body, at=now,
                                          source=FROM_LABELS)
                await tx.training.add(example, None)
        log.info("labelled appeals: %d stored from a coordinator's file", len(check.rows))
        return Reply((texts.LABELS_TITLE_OK.format(name=name, count=len(check.rows)),))


def delete_model_files(model_dir: Path, keep: set[Path]) -> int:
    """Delete this bot's model files in ``model_dir`` that are not in ``keep``; how many."""
    removed = 0
    for file in model_dir.glob("model-*.pkl.gz"):
        if file not in keep:
            file.unlink(missing_ok=True)
            removed += 1
    return removed
