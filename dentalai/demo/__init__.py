"""A believable demo clinic: staff, providers with schedules, services, a knowledge base, about
200 patients, campaigns in every status over every channel, their conversations and a calendar
of appointments. `manage.py seed_demo` calls `demo_seed`; running it again creates nothing."""

from dentalai.demo.seed import DEMO_MANAGER_EMAIL, DEMO_PASSWORD, demo_counts, demo_seed

__all__ = ["DEMO_MANAGER_EMAIL", "DEMO_PASSWORD", "demo_counts", "demo_seed"]
