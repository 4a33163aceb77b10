"""Routing: who answers an appeal — the table of bodies, topics and places, and the classifier.

Pure logic over data, with no network I/O and nothing imported from `bot` (a test checks it):
the bot hands in text and a location and gets a decision back. `model` is the table,
`tablefile` / `sheets` / `validate` read it from YAML, XLSX or CSV and judge every problem at
once, `diff` tells a coordinator what an upload changes; `text`, `guess` and `places` turn an
appeal into lemmas and places, `classify` decides (route, ask the topic or the place, or hand
to coordinators), `learn` is the model trained on answered appeals, `dataset` and `evaluate`
measure it; `cli` is ``python -m routing``. The shipped tables are in `tables/`.
"""
