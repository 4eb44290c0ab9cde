"""Language identification: which language each document is in, and keeping languages
voc's models do not read out of the analysis. The stage is :class:`LanguageStage`."""

from voc.language.identify import UND, LanguageIdentifier
from voc.language.names import language_name
from voc.language.stage import MODEL_LANGUAGES, LanguageStage, analysed_mask, not_analysed_message

__all__ = ["MODEL_LANGUAGES", "UND", "LanguageIdentifier", "LanguageStage", "analysed_mask", "language_name",
           "not_analysed_message"]
