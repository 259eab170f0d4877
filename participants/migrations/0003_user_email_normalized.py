import django.db.models.functions.text
from django.db import migrations, models


def normalize_stored_emails(apps, schema_editor):
    """Older rows may hold ` Sara@x`; store every email as Parley compares it."""
    User = apps.get_model("participants", "User")
    for user in User.objects.only("pk", "email").iterator():
        normalized = user.email.strip().lower()
        if normalized == user.email:
            continue
        if User.objects.filter(email__iexact=normalized).exclude(pk=user.pk).exists():
            raise RuntimeError(
                f"Accounts {user.pk} and another differ only by spaces in their email "
                f"({normalized}); merge or rename one in the admin, then migrate again.")
        User.objects.filter(pk=user.pk).update(email=normalized)


class Migration(migrations.Migration):

    dependencies = [
        ('participants', '0002_notification_recipient_email'),
    ]

    operations = [
        migrations.RunPython(normalize_stored_emails, migrations.RunPython.noop),
        migrations.AlterConstraint(
            model_name='user',
            name='user_email_unique_ci',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), name='user_email_unique_ci', violation_error_message='An account with this email already exists.'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(('email', django.db.models.functions.text.Lower(django.db.models.functions.text.Trim('email')))), name='user_email_normalized'),
        ),
    ]
