# French: "30 novembre 2026"; "mardi 31 mars à 09:00".
DATE_FORMAT = "j F Y"
LONG_DATE_FORMAT = "j F Y"
WEEKDAY_DATE_FORMAT = "l j F Y"
WEEKDAY_DATETIME_FORMAT = "l j F à H:i"
WEEKDAY_DATETIME_YEAR_FORMAT = "l j F Y à H:i"
