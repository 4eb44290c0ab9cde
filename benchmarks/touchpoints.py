"""Benchmark of the touchpoints stage.

1. SemEval-2014 restaurants, test split, aspect-category detection (5 categories,
   multi-label): zero-shot from a taxonomy of category names + one-line descriptions
   only, and few-shot with 5 and 20 labeled *train* sentences per category (mean and
   std over seeds). Micro/macro-F1.
2. Airline tweets (negative, with a reason): the default online-retail taxonomy,
   per-touchpoint precision/recall for the reasons that map to it, and the effort flag
   against ``longlines``; plus an airline taxonomy written from the reason names.
   Few-shot on the reason taxonomy too (5 and 20 labeled tweets per reason, seeds).
3. Banking77 (test split) with its 77 intents grouped into 8 coarse categories, a
   taxonomy written from the group names: zero-shot, 5- and 20-shot (labels from train).
   The second labeled task every few-shot method or setting is checked on.
4. Effort rules: precision/recall on the hand-written sentences in
   tests/stages/test_touchpoints.py.
5. ``few_shot_study``: the few-shot methods tried for issue 5 and their figures
   (selected on SemEval *train*, checked on the airline reasons and Banking77).
6. ``word_view_study`` / ``word_view_cost``: sections 1-3 with the word view off, its
   gain by corpus size, and its fit/scoring time.
7. ``layer_study``: sections 1-3 without the layer states joined to the embedding, and
   with other layers.

    python benchmarks/touchpoints.py                  # writes benchmarks/results/touchpoints.json
    python benchmarks/touchpoints.py --data-dir DIR   # another copy of the shared data
    python benchmarks/touchpoints.py --seeds 10
    python benchmarks/touchpoints.py --only word_view_cost   # rerun one section, keep the rest

Embeddings are cached under ``--cache-dir`` (default: the system temp dir).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
sys.path.insert(0, str(REPO))

from voc.encoder import LayerMeanPool  # noqa: E402
from voc.stages.base import Corpus  # noqa: E402
from voc.stages.touchpoints import TouchpointStage  # noqa: E402
from voc.touchpoints.taxonomy import Taxonomy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from themes import embed_cached  # noqa: E402  (one cache for both benchmarks)

# Written from the category names and a one-line description each, nothing else.
SEMEVAL_TAXONOMY = yaml.safe_load((Path(__file__).resolve().parent / "taxonomies" / "semeval2014_restaurants.yaml")
                                  .read_text(encoding="utf-8"))

# Airline complaint reasons, from the reason names and a one-line description each.
AIRLINE_TAXONOMY = [
    {"name": "Late Flight", "description": "the flight was late or delayed"},
    {"name": "Cancelled Flight", "description": "the flight was cancelled"},
    {"name": "Lost Luggage", "description": "luggage or bags that were lost or delayed"},
    {"name": "Damaged Luggage", "description": "luggage or bags that were damaged"},
    {"name": "Customer Service Issue", "description": "problems with customer service, agents and phone support"},
    {"name": "Flight Booking Problems", "description": "problems booking, changing or paying for a flight"},
    {"name": "Bad Flight", "description": "a bad flight experience: seats, wifi, food, comfort on board"},
    {"name": "Flight Attendant Complaints", "description": "complaints about flight attendants and cabin crew"},
    {"name": "longlines", "description": "long lines and queues at the airport"},
]

# negativereason -> default-taxonomy touchpoint. "direct": the reason is that
# touchpoint; "analogy": a retail touchpoint standing in for an airline one.
AIRLINE_TO_DEFAULT = {
    "Customer Service Issue": ("customer support", "direct"),
    "Flight Booking Problems": ("purchase & checkout", "direct"),
    "Bad Flight": ("product quality & use", "analogy"),
    "Lost Luggage": ("delivery", "analogy"),
    "Damaged Luggage": ("delivery", "analogy"),
    "Late Flight": ("delivery", "analogy"),
}


# Banking77 intents in 8 coarse groups; each description is written from the group name.
BANK77_GROUPS = {
    "cards": ("debit cards: ordering, delivery, activation, PIN, lost, stolen or blocked cards, virtual cards",
              "card_arrival card_linking card_delivery_estimate card_not_working lost_or_stolen_card pin_blocked "
              "contactless_not_working getting_virtual_card card_acceptance get_physical_card visa_or_mastercard "
              "disposable_card_limits compromised_card card_swallowed change_pin getting_spare_card order_physical_card "
              "virtual_card_not_working get_disposable_virtual_card activate_my_card card_about_to_expire "
              "apple_pay_or_google_pay supported_cards_and_currencies"),
    "top-ups": ("topping up the account: by card, bank transfer, cash or cheque, limits, failed or pending top-ups",
                "automatic_top_up pending_top_up top_up_limits top_up_reverted topping_up_by_card verify_top_up "
                "top_up_by_cash_or_cheque top_up_failed"),
    "transfers": ("bank transfers: sending and receiving money, pending, failed or declined transfers, beneficiaries",
                  "cancel_transfer transfer_not_received_by_recipient pending_transfer declined_transfer transfer_timing "
                  "beneficiary_not_allowed receiving_money failed_transfer transfer_into_account "
                  "balance_not_updated_after_bank_transfer"),
    "cash & ATM": ("cash withdrawals at ATMs: declined, pending or wrong cash withdrawals",
                   "pending_cash_withdrawal wrong_amount_of_cash_received atm_support declined_cash_withdrawal "
                   "cash_withdrawal_not_recognised balance_not_updated_after_cheque_or_cash_deposit"),
    "exchange & currencies": ("currency exchange: exchange rates, foreign currencies and exchanging money in the app",
                              "exchange_rate card_payment_wrong_exchange_rate fiat_currency_support exchange_via_app "
                              "wrong_exchange_rate_for_cash_withdrawal"),
    "fees & charges": ("fees and charges: extra charges, fees for payments, transfers, top-ups, withdrawals or exchange",
                       "extra_charge_on_statement card_payment_fee_charged top_up_by_bank_transfer_charge "
                       "transfer_fee_charged exchange_charge top_up_by_card_charge cash_withdrawal_charge"),
    "payments & refunds": ("card payments and refunds: pending, declined, unrecognised or duplicate payments, refunds",
                           "card_payment_not_recognised direct_debit_payment_not_recognised pending_card_payment "
                           "request_refund declined_card_payment Refund_not_showing_up transaction_charged_twice "
                           "reverted_card_payment?"),
    "account & identity": ("the account itself: identity verification, personal details, passcode, age, countries, "
                           "closing it",
                           "age_limit edit_personal_details why_verify_identity unable_to_verify_identity passcode_forgotten "
                           "lost_or_stolen_phone terminate_account verify_source_of_funds verify_my_identity country_support"),
}
BANK77_TAXONOMY = [{"name": name, "description": desc} for name, (desc, _) in BANK77_GROUPS.items()]
INTENT_TO_GROUP = {intent: name for name, (_, intents) in BANK77_GROUPS.items() for intent in intents.split()}


# Issue 5: the few-shot methods tried to reach 5-shot micro-F1 >= 0.80 on SemEval test.
# Protocol ("dev"): SemEval-2014 *train* as the corpus, 5 (or 20) labeled sentences per
# category drawn from it as the benchmark draws them, scored on the rest of train; 5
# seeds unless noted. Nothing here was selected on the test split. Figures are micro-F1
# (macro-F1 where given), from exploratory scripts over the cached embeddings.
FEW_SHOT_STUDY: dict[str, object] = {
    "protocol": "dev = SemEval-2014 train split (3,041 sentences) as corpus and evaluation, labels drawn from it "
                "and left out of the scoring; checked on airline complaint reasons (9 classes, corpus = 9,089 "
                "negative tweets) and Banking77 in 8 groups (corpus = train + test, scored on test)",
    "dev_reference": {
        "today_head_5_shot": {"micro_f1": 0.6956, "micro_f1_std": 0.0143, "macro_f1": 0.6553},
        "today_head_20_shot": {"micro_f1": 0.7519, "micro_f1_std": 0.0079, "macro_f1": 0.7247},
        "today_head_zero_shot": {"micro_f1": 0.6719, "macro_f1": 0.628},
        "linear_probe_all_labels_5fold_cv": {"micro_f1": 0.816, "macro_f1": 0.799,
                                             "auc_per_label": [0.96, 0.959, 0.983, 0.933, 0.915],
                                             "note": "the ceiling of the frozen embedding on dev (test: 0.853)"},
        "today_head_5_shot_auc_seed0": [0.929, 0.924, 0.954, 0.828, 0.78],
        "diagnosis": "the 5-shot head ranks ambience and anecdotes far worse than a probe with all labels "
                     "(AUC 0.83/0.78 vs 0.93/0.92); per-class oracle thresholds would add only ~1 point, so the "
                     "gap is in the direction learned from 5 examples, not in calibration",
    },
    "tried": [
        {"method": "prototype mixing: class prototype = w * description + mean of the labeled examples, cosine, "
                   "raw / centred on the corpus mean / whitened with the corpus covariance",
         "result": "top-1 accuracy <= 0.71 and mean AUC <= 0.82, below today's head (self-trained) at every w; "
                   "not pursued"},
        {"method": "centre embeddings on the corpus mean before today's head",
         "five_shot": 0.603, "twenty_shot": 0.6867,
         "note": "the zero-shot floor/temperature are calibrated for raw cosines; would need re-tuning"},
        {"method": "label spreading over a 10-NN corpus graph (alpha 0.5-0.97), seeded with today's probabilities "
                   "and the labels, used directly or as pseudo-labels for the one-vs-rest head",
         "five_shot_best": 0.7069, "five_shot_best_macro": 0.645, "setting": "alpha 0.8, as pseudo-labels",
         "note": "+1 micro point but macro -1 (favours the big class); alpha >= 0.9 collapses into food"},
        {"method": "today's head, other settings",
         "five_shot": {"self_train_C_0.3": 0.7009, "self_train_C_3": 0.6869, "self_train_C_10": 0.6765,
                       "anchor_weight_5": 0.6932, "few_shot_C_10": 0.6942, "few_shot_C_1": 0.69,
                       "labels_only_softmax_C_100_no_prototypes_no_self_training": 0.6424},
         "note": "self-train C 0.3 helps SemEval and airline but lowers Banking77 20-shot (-0.3); not taken"},
        {"method": "curriculum self-training: per class keep the top 20..100% most confident pseudo-labels, "
                   "5 rounds; also 2 rounds on all, 1 round on the top 50%",
         "five_shot": {"5_rounds": 0.4799, "2_rounds_all": 0.679, "1_round_top_50": 0.7027},
         "note": "drifts (as the earlier 2-3-round trials did); top-50% lowers Banking77 (0.8066 vs 0.8122)"},
        {"method": "product of experts: final one-vs-rest logits + lambda * zero-shot log-odds (lambda 0.25-1)",
         "five_shot_best": 0.6956, "note": "never above today's head"},
        {"method": "other poolings of the shared pass's last layer: max-pool; mean without [CLS]/[SEP]",
         "five_shot": {"max_pool": 0.5868, "mean_and_max_concatenated": 0.6839, "mean_without_special_tokens": 0.7057},
         "note": "+1 point for dropping [CLS]/[SEP] from the mean, but that changes the shared embedding every "
                 "head reads; left alone"},
        {"method": "confidence-weighted pseudo-labels (each corpus pseudo-label weighted by its seed probability)",
         "integrated": "in few-shot mode only (voc.touchpoints.model.self_train, confidence_weighted)", "seeds": 10,
         "dev_micro_f1_before_after_weighting_every_mode": {
             "semeval_dev": {"zero_shot": [0.6719, 0.6741], "5_shot": [0.7054, 0.7079], "20_shot": [0.7524, 0.7544]},
             "airline_reasons": {"zero_shot": [0.5198, 0.5339], "5_shot": [0.5374, 0.5433], "20_shot": [0.5536, 0.5574]},
             "banking77_8_groups": {"zero_shot": [0.7885, 0.792], "5_shot": [0.812, 0.815], "20_shot": [0.8481, 0.8499]}},
         "seeds_better_at_5_shot": {"semeval_dev": "9/10", "airline_reasons": "10/10", "banking77_8_groups": "10/10"},
         "note": "macro-F1 not lower anywhere on dev; weighting by the squared probability gained more micro on "
                 "airline but lowered its zero-shot macro (0.441 vs 0.455): not taken. In zero-shot mode the "
                 "benchmark (below) showed SemEval test zero-shot 0.7393/0.6184 -> 0.7378/0.5984 micro/macro "
                 "(price recall down) and lower airline recall for the small default touchpoints (product "
                 "quality 0.024 -> 0.005, purchase & checkout 0.057 -> 0.023): so zero-shot keeps equal weights "
                 "and its figures are unchanged",
         "test_before_after": {
             "semeval_test_5_shot": {"micro_f1": [0.7469, 0.7514], "macro_f1": [0.6718, 0.6766],
                                     "seeds_better": "5/5"},
             "semeval_test_20_shot": {"micro_f1": [0.7926, 0.7943], "macro_f1": [0.7484, 0.7514],
                                      "seeds_better": "4/5"},
             "airline_reasons_5_shot": {"micro_f1": [0.5358, 0.542], "macro_f1": [0.4653, 0.4662]},
             "airline_reasons_20_shot": {"micro_f1": [0.5524, 0.556], "macro_f1": [0.4771, 0.4789]},
             "banking77_5_shot": {"micro_f1": [0.8122, 0.815], "macro_f1": [0.8012, 0.8045]},
             "banking77_20_shot": {"micro_f1": [0.8454, 0.8475], "macro_f1": [0.8387, 0.8413]},
             "note": "5 seeds each, the benchmark's protocol; 'before' = the same code with equal weights (the "
                     "SemEval 20-shot before is 0.7926, not the 0.7923 committed earlier, because a labeled train "
                     "sentence that also occurs in test is now left out of the scoring)"}},
        {"method": "SetFit-style contrastive fine-tuning (cosine-similarity loss on all pairs of the ~30 labeled "
                   "sentences + 5 descriptions, 1 epoch), then today's head over the new embeddings",
         "seeds": "2-3",
         "five_shot": {"last_layer_lr_5e-5": 0.6916, "last_layer_lr_2e-4": 0.6869, "last_layer_lr_1e-3": 0.6915,
                       "top_2_layers_lr_2e-4": 0.7172, "whole_encoder_lr_2e-5": 0.6904},
         "same_seeds_today_head": {"2_seeds": 0.709, "3_seeds": 0.6982},
         "note": "no reliable gain from the top layers"},
        {"method": "SetFit proper: the whole encoder fine-tuned contrastively (as above), then today's head over "
                   "its embeddings of the corpus",
         "seeds": 3,
         "five_shot_dev": {"lr_2e-5_1_epoch": 0.6904, "lr_5e-5_2_epochs": 0.7293, "lr_5e-5_2_epochs_std": 0.032,
                           "same_seeds_today_head": 0.7022},
         "banking77_check": {"setfit_lr_5e-5_2_epochs": 0.7956, "today_head": 0.8161,
                             "note": "corpus = Banking77 test only, same label draws"},
         "semeval_test_reported_once": {"micro_f1_per_seed": [0.8131, 0.743, 0.7223], "micro_f1": 0.7595,
                                        "micro_f1_std": 0.0389, "macro_f1": 0.7007,
                                        "today_head_same_seeds": [0.7683, 0.7623, 0.7412],
                                        "note": "lr 5e-5, 2 epochs as chosen on dev; one draw of the 5 labels "
                                                "reaches 0.81, the mean is the head's and the spread 3x wider"},
         "cost": "a second full MiniLM pass per sentence at scoring time (the tuned copy), a full pass over the "
                 "corpus at fit time, 35-180 s of training on one thread, and a ~90 MB model per fitted taxonomy",
         "note": "+2.7 points on SemEval dev, +0.2 on SemEval test (3x the spread), -2 on Banking77: not "
                 "general, and it costs a second encoder pass; not integrated"},
        {"method": "encoder self-training: the top 2 layers (branching off layer 4 like voc's sentiment model) "
                   "fine-tuned on today's head's corpus pseudo-labels + the labels (BCE, 1 epoch), then today's "
                   "head over the new embeddings",
         "seeds": 3, "five_shot": {"lr_1e-4": 0.7175, "lr_3e-4": 0.72, "lr_1e-4_2_epochs": 0.7043,
                                   "lr_1e-4_soft_targets": 0.6956},
         "same_seeds_today_head": 0.6982,
         "checks_5_shot": {
             "banking77_8_groups": {"micro_f1": [0.8136, 0.8223], "macro_f1": [0.8035, 0.811], "seeds_better": "2/3",
                                    "note": "corpus = Banking77 test, labels from train; [today's head, encoder "
                                            "self-training], equal pseudo-label weights in both"},
             "airline_reasons": {"micro_f1": [0.5334, 0.5758], "macro_f1": [0.4573, 0.4894], "seeds_better": "3/3",
                                 "note": "corpus = 3,000 tweets with a reason (not Can't Tell), labels from the rest"},
             "semeval_test_reported_once": {"micro_f1": [0.7529, 0.7648], "macro_f1": [0.6786, 0.6837],
                                            "micro_f1_per_seed": [[0.7656, 0.7592, 0.7338], [0.7852, 0.7559, 0.7533]],
                                            "note": "the benchmark's protocol, 3 seeds; today's head (equal weights) "
                                                    "vs encoder self-training"}},
         "cost": "at scoring time 2 extra layers per sentence (1/3 of an encoder pass, like sentiment); at fit time "
                 "the corpus's layer-4 states (a 4/6 encoder pass, or keeping them from the shared pass) and "
                 "50-170 s of training on one thread for 3,041 sentences",
         "note": "the only method that gained on all three tasks (+2 SemEval dev, +0.9 Banking77, +4.2 airline), "
                 "still short of the target; not integrated: at scoring time it is an encoder head on layer 4 "
                 "(as voc.sentiment), which needs the embed stage to run it and the fit to see the corpus's "
                 "layer-4 states, outside this stage. The next step if 5-shot quality matters"},
    ],
    "conclusion": "5-shot micro-F1 >= 0.80 on SemEval test was not reached (0.7514). Over frozen MiniLM "
                  "embeddings the best general change found is worth +0.2 to +0.6 points (integrated, few-shot "
                  "only); fine-tuning the encoder's top 2 layers on corpus pseudo-labels gained on all three tasks "
                  "(+2 SemEval dev, +0.9 Banking77, +4 airline; SemEval test 0.765 vs 0.753) at 1/3 extra encoder "
                  "cost and is the next step; SetFit on the whole encoder helps SemEval dev, "
                  "ties on SemEval test with a 3x wider spread, and hurts Banking77. With all 3,041 labels "
                  "a linear probe reaches 0.816 on dev (0.853 test), so 0.80 at 5 shots would mean ~94% of "
                  "full supervision (0.80 of 0.853) from 5 examples per class; the remaining levers are a stronger or "
                  "task-fine-tuned encoder, or more labels (20-shot is ~0.79-0.80 on test).",
    "update_2026_12_01": "the conclusion above is superseded: with the word view (word_view_study) and the layer-3 "
                         "states joined to the embedding (layer_study), SemEval test 5-shot is 0.799 as written and "
                         "0.804 with anecdotes/miscellaneous marked catch_all (sections semeval2014_restaurants and "
                         "its catch_all_miscellaneous). Exploratory runs behind those choices follow; dev = SemEval "
                         "train as above, 3 seeds, micro-F1 (macro where given), throwaway scripts over this "
                         "benchmark's caches, so rerun as an ablation before relying on a figure.",
    "tried_2026_12_01": [
        {"method": "word view: tf-idf one-vs-rest on the embedding head's decisions, probabilities averaged 50/50 "
                   "(integrated: voc.touchpoints.lexical)",
         "dev": {"zero_shot": [0.6719, 0.695], "5_shot": [0.7021, 0.7203], "20_shot": [0.75, 0.7678]},
         "airline_reasons": {"zero_shot": [0.5198, 0.5387], "5_shot": [0.5456, 0.5708], "20_shot": [0.5576, 0.5862]},
         "banking77_8_groups": {"zero_shot": [0.7885, 0.7924], "5_shot": [0.8178, 0.822]},
         "note": "[without, with]"},
        {"method": "word view variants not taken (dev 5-shot; the integrated setting scored 0.7203-0.7209)",
         "five_shot": {"logits_added_not_probabilities_averaged": 0.699, "word_bigrams": 0.7118,
                       "argmax_targets_with_logits_added": 0.652, "soft_targets": 0.7131, "binary_unnormalised_C_0.1": 0.7255,
                       "threshold_0.25_on_the_average": 0.7208, "threshold_0.35": 0.7137},
         "note": "binary unnormalised features: airline 0.5728 vs 0.5712, Banking77 0.8216 vs 0.823: noise"},
        {"method": "co-training round 2: the averaged probabilities seed a second embedding self-training",
         "five_shot": {"round_2": 0.7126, "round_2_confidence_weighted": 0.7052, "one_round": 0.7209},
         "macro_f1": {"round_2": 0.6369, "one_round": 0.6775}, "note": "drifts to the big classes, as before"},
        {"method": "clause-level tagging (voc's contrast clauses of each SemEval test sentence, tags unioned)",
         "test": {"zero_shot": [0.7393, 0.739], "zero_shot_macro": [0.618, 0.635], "5_shot": [0.7515, 0.7531]},
         "note": "[sentences, clauses]; voc analyze tags clauses anyway, the benchmark keeps sentences"},
        {"method": "mean-pooled layer states joined to the embedding (torch hidden states, weight w)",
         "dev": {"zero_shot": {"none": 0.6946, "L2_w0.7": 0.6952, "L3_w0.7": 0.7033, "L4_w0.7": 0.69, "L4_w1": 0.6618},
                 "5_shot": {"none": 0.7211, "L2_w0.7": 0.7389, "L3_w0.7": 0.7499, "L4_w0.7": 0.7374,
                            "L4_w1": 0.7346}},
         "airline_reasons_5_shot": {"none": 0.5714, "L2": 0.567, "L3": 0.5713, "L4": 0.5656},
         "banking77_5_shot": {"none": 0.8227, "L2": 0.8269, "L3": 0.824, "L4": 0.8255},
         "note": "word view on in all; layer 3 at weight 0.7 integrated; layer_study reruns none / 2 / 4 in voc's own pass"},
        {"method": "the self-training seed on the embedding's cosines (learned heads on the joined vector)",
         "test_5_shot": {"semeval": 0.7848, "airline_reasons": 0.5682, "banking77": 0.8196},
         "integrated_seed_on_joined_vectors": {"semeval": 0.799, "airline_reasons": 0.5714, "banking77": 0.8198}},
        {"method": "a catch-all touchpoint (anecdotes/miscellaneous takes the sentences nothing else claims)",
         "dev": {"zero_shot": [0.6946, 0.7244], "5_shot": [0.7209, 0.737]},
         "also_tried": "only when nothing else is tagged, ignoring its own probability: 0.7101 / 0.7188",
         "note": "integrated as the taxonomy field catch_all; off unless a taxonomy sets it"},
    ],
}


# --- helpers ---------------------------------------------------------------------------
LAYERS = (2, 3, 4)  # layer states computed for every task (3 is the stage's default; 2 and 4 for layer_study)


@dataclasses.dataclass
class Vectors:
    """Sentence embeddings and the mean-pooled layer states the stage's head adds to
    them in voc's shared pass, indexed together."""

    emb: np.ndarray
    states: dict[int, np.ndarray]

    def __getitem__(self, idx: object) -> "Vectors":
        return Vectors(self.emb[idx], {k: v[idx] for k, v in self.states.items()})  # type: ignore[index]

    def __len__(self) -> int:
        return len(self.emb)

    @staticmethod
    def concat(parts: list["Vectors"]) -> "Vectors":
        return Vectors(np.vstack([p.emb for p in parts]), {k: np.vstack([p.states[k] for p in parts])
                                                            for k in parts[0].states})


def encode_cached(texts: list[str], cache_dir: Path) -> Vectors:
    """Embeddings (the themes benchmark's cache) plus the layer states, cached alike."""
    import hashlib

    from voc.encoder import Encoder

    emb = embed_cached(texts, cache_dir)
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    files = {k: cache_dir / f"layer{k}_{key}_{len(texts)}.npy" for k in LAYERS}
    missing = [k for k, f in files.items() if not f.exists()]
    if missing:
        out = Encoder().encode(texts, heads=[LayerMeanPool(k) for k in missing]).head_outputs
        for k, arr in zip(missing, out, strict=True):
            np.save(files[k], arr)
    return Vectors(emb, {k: np.load(f) for k, f in files.items()})


def corpus_of(texts: list[str], vec: Vectors) -> Corpus:
    n = len(texts)
    sents = pd.DataFrame({"doc_id": np.arange(n), "sentence_id": 0, "text": texts})
    return Corpus(docs=pd.DataFrame({"doc_id": np.arange(n)}), sentences=sents, embeddings=vec.emb,
                  features={f"layer{k}_mean": v for k, v in vec.states.items()})


def tag(stage: TouchpointStage, texts: list[str], emb: Vectors) -> tuple[list[list[str]], float]:
    """Tags per sentence and transform time per 1,000 sentences."""
    t0 = time.perf_counter()
    out = stage.transform(corpus_of(texts, emb)).sentences["touchpoints"].tolist()
    return out, (time.perf_counter() - t0) * 1000 / max(len(texts), 1) * 1000


def f1_scores(gold: list[set[str]], pred: list[list[str]], labels: list[str]) -> dict[str, object]:
    tp = np.zeros(len(labels))
    fp = np.zeros(len(labels))
    fn = np.zeros(len(labels))
    for g, p in zip(gold, pred, strict=True):
        for j, lab in enumerate(labels):
            tp[j] += lab in g and lab in p
            fp[j] += lab not in g and lab in p
            fn[j] += lab in g and lab not in p
    prec = tp / np.maximum(tp + fp, 1)
    rec = tp / np.maximum(tp + fn, 1)
    f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-12)
    micro_p = tp.sum() / max(tp.sum() + fp.sum(), 1)
    micro_r = tp.sum() / max(tp.sum() + fn.sum(), 1)
    return {
        "micro_f1": round(float(2 * micro_p * micro_r / max(micro_p + micro_r, 1e-12)), 4),
        "macro_f1": round(float(f1.mean()), 4),
        "micro_precision": round(float(micro_p), 4), "micro_recall": round(float(micro_r), 4),
        "per_label": {lab: {"precision": round(float(prec[j]), 3), "recall": round(float(rec[j]), 3),
                            "f1": round(float(f1[j]), 3), "support": int(tp[j] + fn[j])}
                      for j, lab in enumerate(labels)},
    }


def sample_labeled(texts: list[str], gold: list[set[str]], labels: list[str], k: int, seed: int) -> pd.DataFrame:
    """k sentences per category (a sentence brings all its labels), as a user would
    label a handful of examples of each touchpoint."""
    rng = np.random.default_rng(seed)
    chosen: set[int] = set()
    for lab in labels:
        pool = [i for i, g in enumerate(gold) if lab in g and i not in chosen]
        chosen.update(int(i) for i in rng.choice(pool, size=min(k, len(pool)), replace=False))
    rows = [(texts[i], lab) for i in sorted(chosen) for lab in sorted(gold[i])]
    return pd.DataFrame(rows, columns=["text", "touchpoint"])


def few_shot(taxonomy: Taxonomy, corpus: Corpus, texts: list[str], gold: list[set[str]], pool: np.ndarray,
             eval_idx: np.ndarray, eval_emb: Vectors, k: int, seeds: int, **stage_kw: object) -> dict[str, object]:
    """``k`` labels per category drawn from rows ``pool`` of ``texts``, fitted on
    ``corpus``, scored on ``eval_idx`` minus the labeled rows; mean and std over seeds."""
    labels = taxonomy.names
    runs = []
    for seed in range(seeds):
        labeled = sample_labeled([texts[i] for i in pool], [gold[i] for i in pool], labels, k, seed)
        used = set(labeled["text"])
        keep = [j for j, i in enumerate(eval_idx) if texts[i] not in used]
        st = TouchpointStage(taxonomy=taxonomy, random_state=seed, **stage_kw).fit(corpus, labeled=labeled)  # type: ignore[arg-type]
        pred, _ = tag(st, [texts[eval_idx[j]] for j in keep], eval_emb[keep])
        runs.append(f1_scores([gold[eval_idx[j]] for j in keep], pred, labels))
    micro = [r["micro_f1"] for r in runs]
    macro = [r["macro_f1"] for r in runs]
    return {"seeds": seeds, "labeled_sentences_per_category": k,
            "micro_f1": round(float(np.mean(micro)), 4), "micro_f1_std": round(float(np.std(micro)), 4),
            "macro_f1": round(float(np.mean(macro)), 4), "macro_f1_std": round(float(np.std(macro)), 4),
            "micro_f1_per_seed": micro, "per_label_seed0": runs[0]["per_label"]}


# --- the tasks -------------------------------------------------------------------------
def _task(name: str, data_dir: Path, cache_dir: Path) -> tuple[list[str], Vectors, list[set[str]], np.ndarray,
                                                                 np.ndarray, Taxonomy]:
    """(texts, embeddings, gold, label pool, scored rows, taxonomy) of each task, as the
    sections above use them."""
    if name == "semeval":
        df = pd.read_csv(data_dir / "semeval2014_restaurants" / "sentences.csv")
        texts = df["text"].astype(str).tolist()
        gold = [{c["category"] for c in json.loads(j)} for j in df["aspect_categories_json"]]
        test = (df["split"] == "test").to_numpy()
        return (texts, encode_cached(texts, cache_dir), gold, np.flatnonzero(~test), np.flatnonzero(test),
                Taxonomy.from_entries(SEMEVAL_TAXONOMY, source="semeval-names+descriptions"))
    if name == "airline_reasons":
        df, emb = _airline_negative(data_dir, cache_dir)
        reasons = df["negativereason"].astype(str).tolist()
        scored = np.array([i for i, r in enumerate(reasons) if r != "Can't Tell"])
        return (df["text"].astype(str).tolist(), emb, [{r} if r != "Can't Tell" else set() for r in reasons],
                scored, scored, Taxonomy.from_entries(AIRLINE_TAXONOMY, source="airline-reasons"))
    frames = [pd.read_csv(data_dir / "banking77" / f"{split}.csv") for split in ("train", "test")]
    texts = [t for f in frames for t in f["text"].astype(str)]
    emb = Vectors.concat([encode_cached(f["text"].astype(str).tolist(), cache_dir) for f in frames])
    n_tr = len(frames[0])
    return (texts, emb, [{INTENT_TO_GROUP[c]} for f in frames for c in f["category"]], np.arange(n_tr),
            np.arange(n_tr, len(texts)), Taxonomy.from_entries(BANK77_TAXONOMY, source="banking77-groups"))



# --- SemEval ---------------------------------------------------------------------------
def semeval(data_dir: Path, cache_dir: Path, seeds: int) -> dict[str, object]:
    texts, emb, gold_all, tr, te, taxonomy = _task("semeval", data_dir, cache_dir)
    labels = taxonomy.names
    te_texts, te_emb, te_gold = [texts[i] for i in te], emb[te], [gold_all[i] for i in te]
    tr_gold = [gold_all[i] for i in tr]

    out: dict[str, object] = {"n_test_sentences": len(te), "taxonomy": SEMEVAL_TAXONOMY}
    t0 = time.perf_counter()
    stage = TouchpointStage(taxonomy=taxonomy).fit(corpus_of(te_texts, te_emb))
    fit_s = time.perf_counter() - t0
    pred, ms = tag(stage, te_texts, te_emb)
    out["zero_shot"] = {**f1_scores(te_gold, pred, labels), "ms_per_1k_sentences": round(ms, 1),
                        "fit_seconds": round(fit_s, 2),
                        "none_share": round(float(np.mean([not p for p in pred])), 4)}
    # corpus of train sentences + test: labels come from train, the corpus reuses its embeddings
    full = corpus_of(texts, emb)
    for k in (5, 20):
        out[f"few_shot_{k}"] = few_shot(taxonomy, full, texts, gold_all, tr, te, te_emb, k, seeds)
    # The same taxonomy with its miscellaneous category marked ``catch_all: true``: a sentence
    # no other category claims gets it instead of "none" (every SemEval sentence has a category).
    entries = [{**e, "catch_all": True} if e["name"] == "anecdotes/miscellaneous" else e for e in SEMEVAL_TAXONOMY]
    catch_all = Taxonomy.from_entries(entries, source="semeval-names+descriptions, catch_all")
    pred, _ = tag(TouchpointStage(taxonomy=catch_all).fit(corpus_of(te_texts, te_emb)), te_texts, te_emb)
    zs = f1_scores(te_gold, pred, labels)
    out["catch_all_miscellaneous"] = {"zero_shot": {key: zs[key] for key in ("micro_f1", "macro_f1", "per_label")}}
    for k in (5, 20):
        r = few_shot(catch_all, full, texts, gold_all, tr, te, te_emb, k, seeds)
        out["catch_all_miscellaneous"][f"few_shot_{k}"] = {  # type: ignore[index]
            key: r[key] for key in ("micro_f1", "micro_f1_std", "macro_f1", "macro_f1_std", "micro_f1_per_seed")}
    # context, not a voc mode: the ceiling of a linear probe on these frozen embeddings
    # with all 3,041 labeled train sentences (one-vs-rest logistic regression, C=1)
    from sklearn.linear_model import LogisticRegression

    y_tr = np.array([[lab in g for lab in labels] for g in tr_gold])
    probs = np.column_stack([LogisticRegression(C=1.0, max_iter=2000).fit(emb.emb[tr], y_tr[:, j])
                             .predict_proba(te_emb.emb)[:, 1]
                             for j in range(len(labels))])
    pred = [[labels[j] for j in range(len(labels)) if p[j] >= 0.4 or j == p.argmax()] for p in probs]
    ceiling = f1_scores(te_gold, pred, labels)
    out["linear_probe_full_train"] = {"micro_f1": ceiling["micro_f1"], "macro_f1": ceiling["macro_f1"],
                                      "note": "all train labels, threshold 0.4 + argmax; an upper bound for "
                                              "any classifier on the shared MiniLM embeddings"}
    return out


# --- airline ---------------------------------------------------------------------------
def _airline_negative(data_dir: Path, cache_dir: Path) -> tuple[pd.DataFrame, Vectors]:
    """The negative tweets with a reason, one per tweet id, and their embeddings."""
    df = pd.read_csv(data_dir / "twitter_us_airline_sentiment" / "Tweets.csv")
    df = df[(df["airline_sentiment"] == "negative") & df["negativereason"].notna()]
    emb = encode_cached(df["text"].astype(str).tolist(), cache_dir)  # same cache as the themes benchmark
    keep_rows = ~df["tweet_id"].duplicated().to_numpy()
    return df[keep_rows], emb[keep_rows]


def airline(data_dir: Path, cache_dir: Path, seeds: int) -> dict[str, object]:
    df, emb = _airline_negative(data_dir, cache_dir)
    texts = df["text"].astype(str).tolist()
    reasons = df["negativereason"].astype(str).tolist()
    out: dict[str, object] = {"n_tweets": len(texts), "mapping": {k: list(v) for k, v in AIRLINE_TO_DEFAULT.items()},
                              "unmapped_reasons": sorted(set(reasons) - set(AIRLINE_TO_DEFAULT))}

    stage = TouchpointStage().fit(corpus_of(texts, emb))
    result = stage.transform(corpus_of(texts, emb)).sentences
    pred = result["touchpoints"].tolist()
    per: dict[str, object] = {}
    for tp in sorted({v[0] for v in AIRLINE_TO_DEFAULT.values()}):
        gold = np.array([AIRLINE_TO_DEFAULT.get(r, ("",))[0] == tp for r in reasons])
        hit = np.array([tp in p for p in pred])
        per[tp] = {"precision": round(float((gold & hit).sum() / max(hit.sum(), 1)), 3),
                   "recall": round(float((gold & hit).sum() / max(gold.sum(), 1)), 3),
                   "support": int(gold.sum()), "tagged": int(hit.sum())}
    out["default_taxonomy"] = per
    by_reason = pd.crosstab(pd.Series(reasons, name="reason"), result["touchpoint"].to_numpy())
    out["default_taxonomy_primary_by_reason"] = {r: row[row > 0].sort_values(ascending=False).to_dict()
                                                 for r, row in by_reason.iterrows()}
    effort = result["effort"].to_numpy()
    longlines = np.array([r == "longlines" for r in reasons])
    out["effort"] = {"flagged_share": round(float(effort.mean()), 4),
                     "recall_on_longlines": round(float(effort[longlines].mean()), 3),
                     "flagged_share_by_reason": {r: round(float(effort[np.array(reasons) == r].mean()), 3)
                                                 for r in sorted(set(reasons))}}

    # the same procedure as SemEval: a taxonomy from the reason names, zero-shot
    labels = [e["name"] for e in AIRLINE_TAXONOMY]
    stage = TouchpointStage(taxonomy=Taxonomy.from_entries(AIRLINE_TAXONOMY, source="airline-reasons")).fit(
        corpus_of(texts, emb))
    keep = [i for i, r in enumerate(reasons) if r != "Can't Tell"]
    pred, _ = tag(stage, [texts[i] for i in keep], emb[keep])
    out["reason_taxonomy_zero_shot"] = f1_scores([{reasons[i]} for i in keep], pred, labels)
    out["reason_taxonomy_zero_shot"]["note"] = "tweets labeled Can't Tell left out"
    reason_tax = Taxonomy.from_entries(AIRLINE_TAXONOMY, source="airline-reasons")
    gold = [{r} if r != "Can't Tell" else set() for r in reasons]
    keep_a = np.asarray(keep)
    for k in (5, 20):
        out[f"reason_taxonomy_few_shot_{k}"] = {
            **few_shot(reason_tax, corpus_of(texts, emb), texts, gold, keep_a, keep_a, emb[keep_a], k, seeds),
            "note": "labels drawn from the tweets themselves and left out of the scoring; corpus = all tweets"}
    return out


# --- Banking77 -------------------------------------------------------------------------
def banking77(data_dir: Path, cache_dir: Path, seeds: int) -> dict[str, object]:
    texts, emb, gold, tr, te, taxonomy = _task("banking77", data_dir, cache_dir)
    full = corpus_of(texts, emb)
    out: dict[str, object] = {"n_test": len(te), "taxonomy": BANK77_TAXONOMY,
                              "groups": {g: intents.split() for g, (_, intents) in BANK77_GROUPS.items()},
                              "note": "corpus = train + test messages; labels from train; scored on test"}
    stage = TouchpointStage(taxonomy=taxonomy).fit(full)
    pred, _ = tag(stage, [texts[i] for i in te], emb[te])
    out["zero_shot"] = f1_scores([gold[i] for i in te], pred, taxonomy.names)
    for k in (5, 20):
        out[f"few_shot_{k}"] = few_shot(taxonomy, full, texts, gold, tr, te, emb[te], k, seeds)
    return out


# --- the word view ---------------------------------------------------------------------
def _variant(name: str, data_dir: Path, cache_dir: Path, seeds: int, **stage_kw: object) -> dict[str, object]:
    """Zero-, 5- and 20-shot micro/macro-F1 of one task with other stage settings, on the
    corpora, labels and seeds of sections 1-3."""
    texts, emb, gold, pool, scored, taxonomy = _task(name, data_dir, cache_dir)
    full = corpus_of(texts, emb)
    # SemEval's zero-shot corpus is its test sentences, as in section 1
    zs_corpus = corpus_of([texts[i] for i in scored], emb[scored]) if name == "semeval" else full
    st = TouchpointStage(taxonomy=taxonomy, **stage_kw).fit(zs_corpus)  # type: ignore[arg-type]
    pred, _ = tag(st, [texts[i] for i in scored], emb[scored])
    zs = f1_scores([gold[i] for i in scored], pred, taxonomy.names)
    row: dict[str, object] = {"zero_shot": {"micro_f1": zs["micro_f1"], "macro_f1": zs["macro_f1"]}}
    for k in (5, 20):
        r = few_shot(taxonomy, full, texts, gold, pool, scored, emb[scored], k, seeds, **stage_kw)
        row[f"few_shot_{k}"] = {key: r[key] for key in ("micro_f1", "micro_f1_std", "macro_f1")}
    return row


TASKS = ("semeval", "airline_reasons", "banking77")


def layer_study(data_dir: Path, cache_dir: Path, seeds: int) -> dict[str, object]:
    """The layer states joined to the embedding (``layer``, default 3): sections 1-3 with
    none, and with layers 2 and 4 (the sections above use 3). Chosen on SemEval train
    (layers 2-4, weight 0.7 or 1), checked on the airline reasons and Banking77."""
    return {"protocol": layer_study.__doc__.split("\n\n")[0].strip(),  # type: ignore[union-attr]
            **{f"layer_{layer}": {name: _variant(name, data_dir, cache_dir, seeds, layer=layer) for name in TASKS}
               for layer in (None, 2, 4)}}


def word_view_study(data_dir: Path, cache_dir: Path, seeds: int) -> dict[str, object]:
    """The word view (voc.touchpoints.lexical) on and off.

    ``without_word_view``: the sections above rerun with ``lexical=False`` (same corpora,
    labels and seeds; the sections above have it on). ``by_corpus_size``: a random n of
    each task's scored rows (SemEval: train rows) is the corpus and the scored set, minus
    any labeled sentence (3 draws, the word view
    forced on at every size), micro-F1 with minus without: where ``MIN_LEXICAL`` comes from.
    """
    import voc.stages.touchpoints as stage_module

    out: dict[str, object] = {"protocol": word_view_study.__doc__.split("\n\n")[1].strip()}  # type: ignore[union-attr]
    sizes: dict[str, object] = {}
    for name in TASKS:
        texts, emb, gold, pool, scored, taxonomy = _task(name, data_dir, cache_dir)
        saved = stage_module.MIN_LEXICAL
        stage_module.MIN_LEXICAL = 0
        try:
            by_n: dict[str, object] = {}
            rows = scored if len(scored) >= 2400 else pool  # SemEval: train (its test has 800 sentences)
            for n in (300, 600, 1200, 2400):
                diffs: dict[int, list[float]] = {0: [], 5: []}
                for draw in range(3):
                    pick = np.sort(np.random.default_rng(draw).choice(rows, n, replace=False))
                    for k in (0, 5):
                        labeled = (sample_labeled([texts[i] for i in pool], [gold[i] for i in pool], taxonomy.names,
                                                  k, draw) if k else None)
                        used = set(labeled["text"]) if labeled is not None else set()
                        keep = [i for i in pick if texts[i] not in used]
                        f1 = []
                        for lexical in (False, True):
                            st = TouchpointStage(taxonomy=taxonomy, lexical=lexical, random_state=draw).fit(
                                corpus_of([texts[i] for i in pick], emb[pick]), labeled=labeled)
                            pred, _ = tag(st, [texts[i] for i in keep], emb[keep])
                            f1.append(f1_scores([gold[i] for i in keep], pred, taxonomy.names)["micro_f1"])
                        diffs[k].append(f1[1] - f1[0])
                by_n[str(n)] = {"zero_shot_gain": round(float(np.mean(diffs[0])), 4),
                                "five_shot_gain": round(float(np.mean(diffs[5])), 4)}
            sizes[name] = by_n
        finally:
            stage_module.MIN_LEXICAL = saved
    out["without_word_view"] = {name: _variant(name, data_dir, cache_dir, seeds, lexical=False) for name in TASKS}
    out["by_corpus_size"] = sizes
    out["min_corpus"] = stage_module.MIN_LEXICAL
    return out


def word_view_cost(data_dir: Path, cache_dir: Path) -> dict[str, object]:
    """Fit and transform seconds of the stage with and without the word view: the
    default taxonomy (10 touchpoints) on the 9,089 negative airline tweets."""
    texts, emb, *_ = _task("airline_reasons", data_dir, cache_dir)
    TouchpointStage(lexical=False).fit(corpus_of(texts, emb))  # warm-up: loads the encoder and spaCy once
    return {"n_sentences": len(texts), "taxonomy": "configs/touchpoints.yaml",
            "without": _stage_seconds(texts, emb, lexical=False), "with_word_view": _stage_seconds(texts, emb)}


def _stage_seconds(texts: list[str], emb: Vectors, **stage_kw: object) -> dict[str, float]:
    """Fit and transform seconds of the stage (default taxonomy) on one corpus."""
    t0 = time.perf_counter()
    st = TouchpointStage(**stage_kw).fit(corpus_of(texts, emb))  # type: ignore[arg-type]
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    st.transform(corpus_of(texts, emb))
    return {"fit_seconds": round(fit_s, 2), "transform_seconds": round(time.perf_counter() - t0, 2)}


def layer_cost(data_dir: Path, cache_dir: Path) -> dict[str, object]:
    """What the layer head adds to the shared pass: 2,000 airline tweets encoded with the
    sentiment head alone and with the touchpoint head too (ONNX back-end as in voc analyze,
    no cache, best of 3), and the stage's own fit/scoring time with and without the layer."""
    from voc.encoder import Encoder
    from voc.sentiment import load_sentiment_model

    texts, emb, *_ = _task("airline_reasons", data_dir, cache_dir)
    sample = texts[:2000]
    sentiment = load_sentiment_model()
    enc = Encoder(cache=False)
    enc.encode(sample[:64], heads=[sentiment, LayerMeanPool(3)])  # warm-up: exports the graphs once
    out: dict[str, object] = {"n_sentences": len(sample)}
    for name, heads in (("sentiment_head", [sentiment]), ("sentiment_and_layer_heads", [sentiment, LayerMeanPool(3)])):
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            enc.encode(sample, heads=heads)
            times.append(time.perf_counter() - t0)
        out[name] = {"seconds": round(min(times), 2), "sentences_per_second": round(len(sample) / min(times), 1)}
    TouchpointStage(layer=None).fit(corpus_of(texts, emb))  # warm-up: spaCy and the taxonomy encodings
    for layer in (None, 3):
        out[f"stage_layer_{layer}"] = _stage_seconds(texts, emb, layer=layer)
    return out


# --- effort ----------------------------------------------------------------------------
def effort_set() -> dict[str, object]:
    from voc.touchpoints.effort import match_effort

    from tests.stages.test_touchpoints import EFFORT_NEGATIVE, EFFORT_POSITIVE

    pos = match_effort(EFFORT_POSITIVE)
    neg = match_effort(EFFORT_NEGATIVE)
    tp, fp = int(pos.sum()), int(neg.sum())
    return {"n_effort": len(EFFORT_POSITIVE), "n_other": len(EFFORT_NEGATIVE),
            "precision": round(tp / max(tp + fp, 1), 3), "recall": round(tp / len(EFFORT_POSITIVE), 3)}


def machine() -> dict[str, object]:
    import sklearn
    import torch

    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "torch": torch.__version__, "sklearn": sklearn.__version__, "torch_threads": torch.get_num_threads(),
            "note": "2 shared cores"}


SECTIONS = {
    "semeval2014_restaurants": semeval,
    "airline_negative_tweets": airline,
    "banking77_8_groups": banking77,
    "few_shot_study": lambda *_: FEW_SHOT_STUDY,
    "word_view_study": word_view_study,
    "layer_study": layer_study,
    "layer_cost": lambda data_dir, cache_dir, _: layer_cost(data_dir, cache_dir),
    "word_view_cost": lambda data_dir, cache_dir, _: word_view_cost(data_dir, cache_dir),
    "effort_handwritten": lambda *_: effort_set(),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "voc_bench_cache")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "touchpoints.json")
    ap.add_argument("--only", nargs="+", metavar="SECTION", choices=list(SECTIONS),
                    help="rerun these sections and keep the others from --out")
    args = ap.parse_args()
    t0 = time.time()
    results: dict[str, object] = json.loads(args.out.read_text(encoding="utf-8")) if args.only else {}
    results["machine"] = machine()
    for name, run in SECTIONS.items():
        if not args.only or name in args.only:
            results[name] = run(args.data_dir, args.cache_dir, args.seeds)
    results["seconds" if not args.only else f"seconds_{'_'.join(args.only)}"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    s = results["semeval2014_restaurants"]
    print(f"SemEval zero-shot micro-F1 {s['zero_shot']['micro_f1']}, 5-shot {s['few_shot_5']['micro_f1']}, "  # type: ignore[index]
          f"20-shot {s['few_shot_20']['micro_f1']}; wrote {args.out}")  # type: ignore[index]


if __name__ == "__main__":
    main()
