# Ukrainian, with the genitive month (E): "30 листопада 2026 р."; "Вт, 31 березня, 09:00".
DATE_FORMAT = "j E Y р."
LONG_DATE_FORMAT = "j E Y р."
WEEKDAY_DATE_FORMAT = "l, j E Y р."
WEEKDAY_DATETIME_FORMAT = "D, j E, H:i"
WEEKDAY_DATETIME_YEAR_FORMAT = "D, j E Y р., H:i"
