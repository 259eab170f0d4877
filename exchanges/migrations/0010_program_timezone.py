import core.validity
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("exchanges", "0009_guardian_email_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="timezone",
            field=models.CharField(
                default="UTC",
                max_length=64,
                validators=[core.validity.validate_canonical_timezone],
                verbose_name="timezone",
            ),
        ),
    ]
