"""Customers and conversations: threads of customer and agent messages, and how long
customers wait for a first reply (Kaplan-Meier, counting unanswered threads)."""

from voc.customers.threads import first_response_durations, service_times, thread_roots, thread_table

__all__ = ["first_response_durations", "service_times", "thread_roots", "thread_table"]
