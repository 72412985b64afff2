"""The frame: what sits on top of the apps (root URLs, home pages, the cross-app dashboards and
the sponsor digest, the seeding commands). It imports the kernel and the apps; nothing imports it
(import-linter checks both in ``make lint``)."""
