"""Statistics behind the drivers stage: score metrics, mention delta and remove-theme
impact with intervals, the key driver model with relative weights, and trends."""

from voc.drivers.impact import theme_effects
from voc.drivers.keydriver import key_drivers, relative_weights
from voc.drivers.priorities import priority_list
from voc.drivers.scores import metric, nps, nps_variance, summarize
from voc.drivers.trends import period_table, trend_test

__all__ = ["key_drivers", "metric", "nps", "nps_variance", "period_table", "priority_list", "relative_weights",
           "summarize", "theme_effects", "trend_test"]
