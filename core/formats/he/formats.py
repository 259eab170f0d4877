# Hebrew: "30 בנובמבר 2026"; "יום שלישי, 31 במרץ, 09:00".
DATE_FORMAT = "j בF Y"
LONG_DATE_FORMAT = "j בF Y"
WEEKDAY_DATE_FORMAT = "יום l, j בF Y"
WEEKDAY_DATETIME_FORMAT = "יום l, j בF, H:i"
WEEKDAY_DATETIME_YEAR_FORMAT = "יום l, j בF Y, H:i"
