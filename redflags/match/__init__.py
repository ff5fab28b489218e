"""Scoring a query against candidate entities, with explanations. No searching here."""

from redflags.match.logic import THRESHOLD, WEIGHTS, score
from redflags.match.types import FeatureResult, MatchResult, Query, TokenMatch

__all__ = ["THRESHOLD", "WEIGHTS", "FeatureResult", "MatchResult", "Query", "TokenMatch", "score"]
