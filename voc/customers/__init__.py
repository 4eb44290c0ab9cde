"""Customers and conversations: one row per customer (what they raised, through which
channels, how their sentiment moved), where they had to come back about the same issue,
threads of customer and agent messages, and how
long customers wait for a first reply (Kaplan-Meier, counting unanswered threads)."""

from voc.customers.repeat import repeat_contacts
from voc.customers.table import customer_table
from voc.customers.threads import (first_response_durations, service_times, service_times_by, thread_roots,
                                   thread_table)

__all__ = ["customer_table", "first_response_durations", "repeat_contacts", "service_times", "service_times_by",
           "thread_roots",
           "thread_table"]
