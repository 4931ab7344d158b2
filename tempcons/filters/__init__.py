"""Filters: the temporal filter along the flow and the guided refinement."""
