"""The peer baseline from shared/data/README.md, on exactly our held-out split.

TF-IDF word and character n-grams with logistic regression, text → body, trained on the 80%
part and scored on the same 20% that ``python -m routing eval --holdout 0.2`` uses, so the two
figures can be compared line by line.

    python -m bench.baseline_kursk [--data ../shared/data/kursk-appeals-dev.csv]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from routing.dataset import read_labelled, split
from routing.text import normalize

KURSK_APPEALS = Path(__file__).resolve().parents[2] / "shared" / "data" / "kursk-appeals-dev.csv"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=KURSK_APPEALS)
    args = parser.parse_args()
    appeals = read_labelled(args.data)
    train, test = split(appeals, 0.2, "train"), split(appeals, 0.2, "test")
    words = TfidfVectorizer(preprocessor=normalize, ngram_range=(1, 2), sublinear_tf=True)
    chars = TfidfVectorizer(preprocessor=normalize, analyzer="char_wb", ngram_range=(2, 5),
                            sublinear_tf=True, min_df=2)
    x_train = hstack([words.fit_transform([a.text for a in train]),
                      chars.fit_transform([a.text for a in train])]).tocsr()
    x_test = hstack([words.transform([a.text for a in test]),
                     chars.transform([a.text for a in test])]).tocsr()
    model = LogisticRegression(C=10, max_iter=2000).fit(x_train, [a.body for a in train])
    top = np.argsort(-model.predict_proba(x_test), axis=1)[:, :3]
    truth = [a.body for a in test]
    top1 = np.mean([model.classes_[row[0]] == t for row, t in zip(top, truth, strict=True)])
    top3 = np.mean([t in model.classes_[row] for row, t in zip(top, truth, strict=True)])
    print(f"базовая модель (TF-IDF + логистическая регрессия), {len(test)} отложенных обращений: "
          f"орган top-1 {100 * top1:.1f}%, top-3 {100 * top3:.1f}%")


if __name__ == "__main__":
    main()
