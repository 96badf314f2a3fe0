"""The feeds: one adapter per contact-centre platform, publishing the wire contract to a site's broker.

``wallboard feed <adapter>`` runs one of them as its own process (and systemd
unit), so one feed serves every board of a site and the platform's quota is
spent once. Feeds import only the wire contract and small utilities: never the
board's loop, display or signals. Importing this package has no side effects.
"""
