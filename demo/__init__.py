"""A believable demo clinic: staff, providers with schedules, services, a knowledge base, about
200 patients, campaigns in every status over every channel, their conversations and a calendar
of appointments. `manage.py seed_demo` calls `demo.seed.demo_seed`; running it again creates
nothing."""
