# Russian, with the genitive month (E): "30 ноября 2026 г."; "Вт, 31 марта, 09:00".
DATE_FORMAT = "j E Y г."
LONG_DATE_FORMAT = "j E Y г."
WEEKDAY_DATE_FORMAT = "l, j E Y г."
WEEKDAY_DATETIME_FORMAT = "D, j E, H:i"
WEEKDAY_DATETIME_YEAR_FORMAT = "D, j E Y г., H:i"
