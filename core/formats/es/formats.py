# Spanish: "30 de noviembre de 2026"; "martes 31 de marzo, 09:00".
DATE_FORMAT = r"j \d\e F \d\e Y"
LONG_DATE_FORMAT = r"j \d\e F \d\e Y"
WEEKDAY_DATE_FORMAT = r"l j \d\e F \d\e Y"
WEEKDAY_DATETIME_FORMAT = r"l j \d\e F, H:i"
WEEKDAY_DATETIME_YEAR_FORMAT = r"l j \d\e F \d\e Y, H:i"
