"""From an appeal's text (and maybe a location) to who should answer it, or to a question.

Precision over recall: a wrong page costs the citizen days, a question costs a tap. So the
classifier routes only when the evidence names one body, and otherwise says which single
question would settle it — the topic (offered as 2–4 buttons) or the place — or hands the appeal
to the coordinators when nothing in the table fits.

Scoring, in short: P(topic) from the table's keywords and examples (and the trained model when
there is one) × P(place) from names in the text or the location × P(body | topic, place) from
the table's responsibility order (reweighted by the model's body head when there is one). A
question is asked only when its answer would change the outcome: two topics that lead to the
same body need no question.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from routing.calibration import Calibration, CurvePoint
from routing.decisions import Candidate, Classification, Decision, Thresholds
from routing.hierarchy import dispatcher_for
from routing.levels import LevelCues
from routing.model import WHOLE_REGION, RoutingTable
from routing.places import Gazetteer, PlaceMatch
from routing.questions import place_question_gain, question_gain
from routing.text import (
    LEMMA_FIXES,
    STOP_WORDS,
    AnalysedText,
    Lexicon,
    Morphology,
    analyse,
    lemmatize_phrase,
    morphology,
)

if TYPE_CHECKING:  # scikit-learn costs ~100 MB of RSS; a bot without a model never loads it
    from routing.inference import Predicts
    from routing.learn import AppealModel


@dataclass
class _TopicIndex:
    """Keywords, names and examples of every topic as an inverted index of lemma weights."""

    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    phrases: list[list[tuple[str, ...]]] = field(default_factory=list)  # multi-word keywords
    shown: list[dict[str, str]] = field(default_factory=list)  # lemma → keyword as written


#: How much more a keyword counts than a word of an example appeal.
KEYWORD_WEIGHT = 3.0
NAME_WEIGHT = 2.0
#: Lexical scores are cosine similarities (0..1); raising them to this power before normalising
#: sharpens them into probabilities without the long tail of a softmax over many topics.
LEXICAL_SHARPNESS = 3.0
#: Pseudo-score of "none of the topics", so weak evidence stays weak after normalisation.
NO_TOPIC_SCORE = 0.08
#: Weight of the trained model's topic opinion against the table's keywords and examples.
MODEL_TOPIC_WEIGHT = 0.35
#: Confidence of the table's responsibility order: first body, second, third…
ORDER_PRIOR = (1.0, 0.35, 0.15, 0.08)
CANDIDATE_LIMIT = 12
#: The share of appeals routed without a question that must reach the right body, when the
#: model is calibrated (`ROUTE_PRECISION` in the bot's settings).
DEFAULT_ROUTE_PRECISION = 0.88
#: With a calibrated model: the least chance of being right at which an appeal that no question
#: can settle is still routed to its best body; below it the coordinators route it by hand. A
#: wrong page costs the citizen days (the body must notice, say «Не наше», and the coordinators
#: then route it anyway); the coordinators cost hours. On held-out Kursk appeals 0.6 kept the
#: routes made without a question right 86% of the time (counting the dispatching parent), where
#: routing every such appeal was right 74% of the time (`bench/README.md`, "Routing v2").
GUESS_CHANCE = 0.6
#: With a trained body model: its weight against the table's topic × place view (0..1).
MODEL_BODY_WEIGHT = 0.3
#: Keeps a body the table path missed from being zeroed by the product of experts.
TABLE_FLOOR = 0.02


#: 1 + log(count) and its square for the counts an analysed text can have (≤ 2,000 tokens).
_TF = tuple(1 + math.log(c) if c else 0.0 for c in range(2048))
_TF_SQUARED = tuple(v * v for v in _TF)


def _single_place(body) -> bool:
    return not body.covers_whole_region and len(body.territory) == 1


class Classifier:
    """Built once per routing table (and model); ``classify`` is then pure and thread-safe."""

    def __init__(
        self,
        table: RoutingTable,
        model: AppealModel | None = None,
        thresholds: Thresholds | None = None,
        morph: Morphology | None = None,
        *,
        route_precision: float = DEFAULT_ROUTE_PRECISION,
    ):
        self.table = table
        self.model = model
        # The model's predict without scikit-learn's per-call overhead, same numbers
        # (`routing.inference`); imported here so a bot without a model never loads sklearn.
        self.model_opinion: Predicts | None = None
        if model is not None:
            from routing.inference import ModelInference

            self.model_opinion = ModelInference.of(model)
        self.thresholds = thresholds or Thresholds()
        # A model trained with cross-validation says what its scores mean; then the route
        # threshold is the one its held-out appeals needed for ``route_precision``.
        self.calibration: Calibration | None = getattr(model, "calibration", None)
        self.route_point: CurvePoint | None = None
        if self.calibration is not None and thresholds is None:
            self.route_point = self.calibration.threshold_for(route_precision)
            self.thresholds = replace(
                self.thresholds, route=self.route_point.threshold, guess=GUESS_CHANCE
            )
        self.morph = morph or morphology()
        self.gazetteer = Gazetteer(table, self.morph)
        self._topic_ids = [t.id for t in table.topics]
        self._index = self._build_index()
        # A phrase can only occur in a text that has its first lemma: most texts skip the search.
        self._phrase_starts = frozenset(p[0] for ps in self._index.phrases for p in ps)
        self.level_cues = LevelCues.build(self.morph)
        self.lexicon = Lexicon(self.morph, self._vocabulary())

    @cached_property
    def _bodies_by_topic(self) -> dict[str, list[str]]:
        """Every body handling each topic; only a body model needs it (~4 MB nationally)."""
        bodies: dict[str, list[str]] = defaultdict(list)
        for body in self.table.bodies:
            for topic_id in body.topics:
                bodies[topic_id].append(body.id)
        return bodies

    def with_thresholds(self, thresholds: Thresholds) -> Classifier:
        clone = object.__new__(Classifier)
        clone.__dict__.update(self.__dict__)
        clone.thresholds = thresholds
        return clone

    def warm_up(self) -> int:
        """Analyse every word form the classifier can react to, ahead of the first appeal.

        Decisions do not depend on it (see ``Lexicon``); it only moves ~1.5 s of pymorphy3 work
        from the first appeals to start-up (`bot.bootstrap.build_classifier`, before the channels
        listen). Thread-safe, but a thread running it beside an event loop slows the loop.
        """
        return self.lexicon.warm_up()

    def _vocabulary(self) -> set[str]:
        """Lemmas that can change a decision: the topic index's, the gazetteer's, stop words,
        the dictionary fixes and the trained model's words."""
        words = set(self._index.postings) | self.gazetteer.vocabulary() | STOP_WORDS
        words |= set(LEMMA_FIXES) | set(LEMMA_FIXES.values()) | self.level_cues.vocabulary()
        for phrases in self._index.phrases:
            for phrase in phrases:
                words.update(phrase)
        if self.model is not None:
            words.update(w for w in self.model.words.vocabulary_ if not w.startswith("__place_"))
        return words

    # -- the lexical topic index ------------------------------------------------------------
    def _build_index(self) -> _TopicIndex:
        documents: list[Counter[str]] = []
        index = _TopicIndex()
        for topic in self.table.topics:
            weights: Counter[str] = Counter()
            phrases: list[tuple[str, ...]] = []
            shown: dict[str, str] = {}
            for keyword in topic.keywords:
                lemmas = lemmatize_phrase(keyword, self.morph)
                if len(lemmas) == 1:
                    weights[lemmas[0]] += KEYWORD_WEIGHT
                    shown[lemmas[0]] = keyword
                elif lemmas:
                    phrases.append(lemmas)
                    for lemma in lemmas:
                        weights[lemma] += KEYWORD_WEIGHT / len(lemmas)
            for lemma in analyse(topic.name, self.morph).content:
                weights[lemma] += NAME_WEIGHT
            for example in topic.examples:
                for lemma in set(analyse(example, self.morph).content):
                    weights[lemma] += 1.0 / max(1, len(topic.examples)) ** 0.5
            documents.append(weights)
            index.phrases.append(phrases)
            index.shown.append(shown)
        document_frequency = Counter(lemma for doc in documents for lemma in doc)
        count = len(documents)
        for number, weights in enumerate(documents):
            vector = {
                lemma: (1 + math.log(w)) * math.log(1 + count / document_frequency[lemma])
                for lemma, w in weights.items()
                if w > 0
            }
            norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
            for lemma, value in vector.items():
                index.postings.setdefault(lemma, []).append((number, value / norm))
        return index

    def _lexical(self, text: AnalysedText) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Topic probabilities from the table alone, and the words that matched each topic."""
        counts = Counter(text.content)
        if not counts:
            return {}, {}
        # Sublinear term frequency 1 + log(count), from a table: a long appeal has hundreds of
        # distinct lemmas, and only the few the index knows need more than their square.
        if max(counts.values()) < len(_TF):
            norm = math.sqrt(sum(map(_TF_SQUARED.__getitem__, counts.values())))
        else:
            norm = math.sqrt(sum((1 + math.log(c)) * (1 + math.log(c)) for c in counts.values()))
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, list[str]] = defaultdict(list)
        postings, shown = self._index.postings, self._index.shown
        for lemma in filter(postings.__contains__, counts):
            count = counts[lemma]
            value = _TF[count] if count < len(_TF) else 1 + math.log(count)
            for number, weight in postings[lemma]:
                scores[number] += weight * value / norm
                if lemma in shown[number]:
                    matched[number].append(lemma)
        if self._phrase_starts and not self._phrase_starts.isdisjoint(text.lemmas):
            joined = " " + " ".join(text.lemmas) + " "
            for number, phrases in enumerate(self._index.phrases):
                for phrase in phrases:
                    if " " + " ".join(phrase) + " " in joined:
                        scores[number] += 0.15
                        matched[number].append(" ".join(phrase))
        if not scores:
            return {}, {}
        powered = {n: s**LEXICAL_SHARPNESS for n, s in scores.items()}
        total = sum(powered.values()) + NO_TOPIC_SCORE**LEXICAL_SHARPNESS
        probabilities = {self._topic_ids[n]: p / total for n, p in powered.items()}
        return probabilities, {self._topic_ids[n]: words for n, words in matched.items()}

    # -- places -------------------------------------------------------------------------------
    def _places(
        self, text: AnalysedText, lat: float | None, lon: float | None
    ) -> list[PlaceMatch]:
        matches = self.gazetteer.find(text)
        if lat is not None and lon is not None:
            matches = self.gazetteer.with_location(matches, lat, lon)
        # A settlement named together with its own district: the settlement is the answer.
        # (Linear in the number of matches: a common village name can match a hundred places.)
        enclosing = {a for m in matches for a in self.table.ancestry(m.municipality_id)[1:]}
        specific = [m for m in matches if m.municipality_id not in enclosing]
        return sorted(specific, key=lambda m: -m.score)

    # -- the whole thing ------------------------------------------------------------------------
    def classify(
        self,
        text: str,
        lat: float | None = None,
        lon: float | None = None,
        *,
        topic: str | None = None,
        municipality: str | None = None,
    ) -> Classification:
        """Classify an appeal; ``topic``/``municipality`` are the citizen's answers, if any."""
        analysed = analyse(text, self.lexicon)
        places = (
            [PlaceMatch(municipality, 1.0, "указано жителем")]
            if municipality in self.table.municipality_by_id
            else self._places(analysed, lat, lon)
        )
        place_ids = [
            ancestor for m in places for ancestor in self.table.ancestry(m.municipality_id)
        ]

        lexical, matched_words = self._lexical(analysed)
        model_topics: dict[str, float] = {}
        model_bodies: dict[str, float] = {}
        if self.model_opinion is not None and analysed.content:
            model_topics, model_bodies = self.model_opinion.predict(analysed, place_ids)
        if topic in self.table.topic_by_id:
            topics = {topic: 1.0}
        elif model_topics:
            topics = {
                t: MODEL_TOPIC_WEIGHT * model_topics.get(t, 0.0)
                + (1 - MODEL_TOPIC_WEIGHT) * lexical.get(t, 0.0)
                for t in set(model_topics) | set(lexical)
            }
        else:
            topics = lexical
        ranked_topics = sorted(topics, key=lambda t: -topics[t])[:6]
        evidence = topics[ranked_topics[0]] if ranked_topics else 0.0

        place_total = sum(m.score for m in places)
        place_options = [(m.municipality_id, m.score / place_total) for m in places[:4]] or [
            (None, 1.0)
        ]

        candidates: dict[tuple, float] = defaultdict(float)
        for topic_id in ranked_topics:
            p_topic = topics[topic_id]
            if p_topic < 0.01:
                continue
            for place_id, p_place in place_options:
                for body_id, municipality_id, p_body in self._bodies_for(
                    topic_id, place_id, bool(model_bodies)
                ):
                    candidates[(topic_id, municipality_id, body_id)] += p_topic * p_place * p_body
        if model_bodies:
            candidates = self._reweigh_by_body_model(candidates, model_bodies, topics, places)
            evidence = max(evidence, max(model_bodies.values()))
        factor = self.level_cues.factor(analysed)
        if factor > 1.0:
            candidates = self._towards_region(candidates, factor)
        ranked = sorted(candidates.items(), key=lambda item: -item[1])[:CANDIDATE_LIMIT]
        result = tuple(Candidate(t, m, b, c) for (t, m, b), c in ranked)
        decided = self._decide(
            result, topics, ranked_topics, places, evidence, topic, matched_words, model_topics
        )
        return self._back_off_to_dispatcher(decided)  # issue 17, body hierarchy (wt-hier)

    def _towards_region(self, candidates: dict[tuple, float], factor: float) -> dict[tuple, float]:
        """Region-wide bodies weigh ``factor`` times more (level cues); the total stays."""
        total = sum(candidates.values())
        body_by_id = self.table.body_by_id
        weighed = {
            key: value * (factor if key[2] and body_by_id[key[2]].covers_whole_region else 1.0)
            for key, value in candidates.items()
        }
        scale = total / (sum(weighed.values()) or 1.0)
        return {key: value * scale for key, value in weighed.items()}

    def _reweigh_by_body_model(
        self,
        candidates: dict[tuple, float],
        model_bodies: dict[str, float],
        topics: dict[str, float],
        places: list[PlaceMatch],
    ) -> dict[tuple, float]:
        """Blend the table's view of each body with the body model's (a product of experts).

        The table knows responsibility; the model knows what real appeals to each body looked
        like. A body the model likes but the topic/place path did not reach still enters, via
        its most likely topic, so a table with gaps does not hide the right answer.
        """
        table_view: dict[str, float] = defaultdict(float)
        best_key: dict[str, tuple] = {}
        for key, confidence in candidates.items():
            body_id = key[2]
            if body_id is None:
                continue
            table_view[body_id] += confidence
            if confidence > candidates.get(best_key.get(body_id, ()), -1.0):
                best_key[body_id] = key
        place_id = places[0].municipality_id if places else None
        for body_id in sorted(model_bodies, key=lambda b: -model_bodies[b])[:6]:
            if body_id in best_key or body_id not in self.table.body_by_id:
                continue
            body = self.table.body_by_id[body_id]
            topic_id = max(body.topics, key=lambda t: topics.get(t, 0.0), default=None)
            municipality_id = place_id
            if municipality_id is None and not body.covers_whole_region and body.territory:
                municipality_id = body.territory[0]
            best_key[body_id] = (topic_id, municipality_id, body_id)
        weight = MODEL_BODY_WEIGHT
        scores = {
            body_id: (model_bodies.get(body_id, 0.0) + 1e-4) ** weight
            * (table_view.get(body_id, 0.0) + TABLE_FLOOR) ** (1 - weight)
            for body_id in best_key
        }
        total = sum(scores.values()) or 1.0
        blended = {best_key[b]: score / total for b, score in scores.items()}
        for key, confidence in candidates.items():  # keep "place unknown" candidates visible
            if key[2] is None:
                blended[key] = confidence
        return blended

    def _bodies_for(
        self, topic_id: str, place_id: str | None, model_knows_bodies: bool
    ) -> list[tuple[str | None, str | None, float]]:
        """(body, municipality, P(body | topic, place)) by the table's order of responsibility."""
        bodies = self.table.responsible(topic_id, place_id)
        if place_id is None and self.table.needs_municipality(topic_id):
            if not model_knows_bodies:
                return [(None, None, 1.0)]  # only the citizen can say where
            # The body model may recognise the place from street names the table lacks:
            # every body handling the topic stays in play, equally, for it to choose from.
            bodies = tuple(self.table.body_by_id[b] for b in self._bodies_by_topic[topic_id])
            weights = [1.0] * len(bodies)
        else:
            last = len(ORDER_PRIOR) - 1
            weights = [ORDER_PRIOR[min(rank, last)] for rank in range(len(bodies))]
        if not bodies:
            return [(None, place_id, 1.0)]
        total = sum(weights)
        result = []
        for body, weight in zip(bodies, weights, strict=True):
            municipality_id = place_id
            if municipality_id is None and _single_place(body):
                municipality_id = body.territory[0]
            result.append((body.id, municipality_id, weight / total))
        return result

    def _decide(
        self,
        candidates: tuple[Candidate, ...],
        topics: dict[str, float],
        ranked_topics: list[str],
        places: list[PlaceMatch],
        evidence: float,
        fixed_topic: str | None,
        matched_words: dict[str, list[str]],
        model_topics: dict[str, float],
    ) -> Classification:
        limits = self.thresholds
        base = Classification(Decision.TO_COORDINATOR, None, None, None, 0.0, candidates)
        if not candidates or (fixed_topic is None and evidence < limits.evidence):
            return replace(base, why="ни одна тема таблицы не подходит к тексту")

        body_totals: dict[str | None, float] = defaultdict(float)
        for candidate in candidates:
            body_totals[candidate.body] += candidate.confidence
        best = candidates[0]
        best_body = max(body_totals, key=lambda b: body_totals[b])
        best_body_confidence = body_totals[best_body]
        if best_body is not None:
            best = next(c for c in candidates if c.body == best_body)
        topic_confidence = topics.get(ranked_topics[0], 0.0) if ranked_topics else 0.0
        why = self._explain(best, places, matched_words, model_topics)
        score = self._calibrated(best_body_confidence)

        if best_body is not None and score >= limits.route:
            return replace(
                base, decision=Decision.ROUTE, topic=best.topic, municipality=best.municipality,
                body=best_body, confidence=score, why=why,
            )
        if fixed_topic is None and topic_confidence < limits.topic and len(ranked_topics) > 1:
            options = tuple(
                t for t in ranked_topics[:4]
                if topics[t] >= 0.15 * topic_confidence and self._offerable(t)
            )
            gain = question_gain(options, topics, candidates, self._handles, self._calibrated)
            if len(options) >= 2 and gain >= limits.gain:
                return replace(
                    base, decision=Decision.ASK_TOPIC, topic=best.topic,
                    municipality=best.municipality, body=best_body,
                    confidence=score, topic_options=options,
                    why=f"тема не ясна: {', '.join(options)}; " + why,
                )
        place_share = places[0].score / sum(m.score for m in places) if places else 0.0
        place_known = bool(places) and place_share >= limits.place
        topic_id = best.topic
        if (
            topic_id is not None
            and self.table.needs_municipality(topic_id)
            and not place_known
            and self._place_gain(body_totals) >= limits.gain
        ):
            options = tuple(dict.fromkeys(
                [m.municipality_id for m in places[:6]]
                + [c.municipality for c in candidates if c.municipality][:4]
            ))[:6]
            return replace(
                base, decision=Decision.ASK_MUNICIPALITY, topic=topic_id,
                municipality=best.municipality, body=best_body,
                confidence=score, municipality_options=options,
                why="нужно уточнить населённый пункт; " + why,
            )
        if best_body is None:
            return replace(
                base, topic=topic_id, municipality=best.municipality,
                why="в таблице нет органа для этой темы и территории; " + why,
            )
        if score < limits.guess:
            return replace(
                base, topic=topic_id, municipality=best.municipality, body=best_body,
                confidence=score, why="не уверен, а вопрос жителю не поможет; " + why,
            )
        return replace(
            base, decision=Decision.ROUTE, topic=topic_id, municipality=best.municipality,
            body=best_body, confidence=score, why=why,
        )

    # -- issue 17 (wt-hier): the body hierarchy, a post-step over the ranked bodies -----------
    def _back_off_to_dispatcher(self, result: Classification) -> Classification:
        """Route to the parent body instead of asking when the doubt is only between its units
        (``routing.hierarchy``); any other decision is left as the classifier made it."""
        if result.decision == Decision.TO_COORDINATOR:
            return result
        found = dispatcher_for(self.table, result.body_totals(), self.thresholds.route)
        if found is None:
            return result
        best = next(c for c in result.candidates if c.body in found.units)
        parent = self.table.body_by_id[found.body]
        municipality = parent.territory[0] if _single_place(parent) else best.municipality
        return replace(
            result, decision=Decision.ROUTE, topic=best.topic, municipality=municipality,
            body=found.body, confidence=found.confidence, topic_options=(),
            municipality_options=(),
            why=f"сомнение только между подразделениями органа «{parent.name}»; " + result.why,
        )

    def _handles(self, body_id: str, topic_id: str) -> bool:
        return topic_id in self.table.body_by_id[body_id].topics

    def _calibrated(self, raw: float) -> float:
        return raw if self.calibration is None else self.calibration.probability(raw)

    def _offerable(self, topic_id: str) -> bool:
        """A topic no body handles (a test or junk category left in the data) is never a
        button: tapping it could only hand the appeal to the coordinators."""
        return bool(self._bodies_by_topic.get(topic_id))

    def _place_gain(self, body_totals: dict[str | None, float]) -> float:
        return place_question_gain(
            body_totals, self._territory, self._calibrated, region_wide=WHOLE_REGION
        )

    def _territory(self, body_id: str) -> object:
        return self.table.body_by_id[body_id].territory

    def _explain(
        self,
        best: Candidate,
        places: list[PlaceMatch],
        matched_words: dict[str, list[str]],
        model_topics: dict[str, float],
    ) -> str:
        parts = []
        if best.topic:
            topic = self.table.topic_by_id[best.topic]
            words = matched_words.get(best.topic, [])
            detail = f"слова: {', '.join(dict.fromkeys(words))}" if words else "по сходству"
            if best.topic in model_topics:
                detail += f"; модель {model_topics[best.topic]:.2f}"
            parts.append(f"тема «{topic.name}» ({detail})")
        if places:
            parts.append("место: " + "; ".join(m.evidence for m in places[:3]))
        elif best.municipality:
            name = self.table.municipality_by_id[best.municipality].name
            parts.append(f"место не названо, по модели — {name}")
        if best.body:
            body = self.table.body_by_id[best.body]
            where = "вся область" if body.covers_whole_region else "своя территория"
            parts.append(f"орган «{body.name}» ({where})")
        return "; ".join(parts)
