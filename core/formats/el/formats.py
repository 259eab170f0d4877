# Greek, with the genitive month (E): "30 Νοεμβρίου 2026"; "Τρίτη 31 Μαρτίου, 09:00".
DATE_FORMAT = "j E Y"
LONG_DATE_FORMAT = "j E Y"
WEEKDAY_DATE_FORMAT = "l j E Y"
WEEKDAY_DATETIME_FORMAT = "l j E, H:i"
WEEKDAY_DATETIME_YEAR_FORMAT = "l j E Y, H:i"
