"""The site: the pages and commands that bring every area together (the start page per role and the navigation,
the error pages, the answer when the database is down, `waypoint demo` and `waypoint seed`). The top layer: it may
import any app; nothing but `waypoint.urls` and the settings import it."""
