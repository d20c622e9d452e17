"""The scheduler process: periodic jobs that run outside the web workers."""
