"""Periodic jobs and the one worker process (``flask worker``, issue 14 §2).

``portal.jobs.models.JobRun`` is each job's row: the lease that makes a run
happen once across every worker on every machine, and its last success.
"""
