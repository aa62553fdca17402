"""Drive rmail with python3-caldav (Debian): discovery, create, search by date, delete.
Usage: python_client.py URL USER PASSWORD; prints one line per step, exits non-zero on failure."""
import sys
from datetime import datetime, timezone
import caldav

url, user, password = sys.argv[1:4]
client = caldav.DAVClient(url=url, username=user, password=password)
principal = client.principal()
print("principal", principal.url)
cals = principal.calendars()
names = sorted(str(c.url) for c in cals)
print("calendars", len(cals))
cal = next(c for c in cals if str(c.url).endswith("/default/"))
ics = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//python//EN
BEGIN:VEVENT
UID:py-1
DTSTAMP:20260101T000000Z
DTSTART:20260310T100000Z
DTEND:20260310T110000Z
SUMMARY:From Python
RRULE:FREQ=WEEKLY;COUNT=4
END:VEVENT
END:VCALENDAR
"""
ev = cal.save_event(ics)
print("created", ev.url)
other = cal.save_event(ics.replace("py-1", "py-2").replace("20260310", "20260610").replace("RRULE:FREQ=WEEKLY;COUNT=4\n", ""))
found = cal.date_search(start=datetime(2026, 3, 16, tzinfo=timezone.utc), end=datetime(2026, 3, 25, tzinfo=timezone.utc), expand=True)
print("search", len(found))
assert len(found) == 1, found
data = found[0].data
assert "RECURRENCE-ID" in data and "20260317T100000Z" in data, data
none = cal.date_search(start=datetime(2027, 1, 1, tzinfo=timezone.utc), end=datetime(2027, 2, 1, tzinfo=timezone.utc))
assert len(none) == 0
ev.delete()
other.delete()
left = cal.events()
print("after delete", len(left))
assert len(left) == 0
print("OK")
