"""Dialogue groups: a program's accepted participants split into small groups, in rounds.

A round keeps the settings it was made with (group size and preferences) so that a
repair later applies the same rules. Which side a member is on comes from their
application; it is not copied here.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MIN_GROUP_SIZE = 3
MAX_GROUP_SIZE = 50


class GroupRound(models.Model):
    program = models.ForeignKey(
        "exchanges.Program", on_delete=models.CASCADE, related_name="group_rounds"
    )
    number = models.PositiveIntegerField(_("round"))
    size = models.PositiveSmallIntegerField(_("group size"))
    languages = models.BooleanField(_("a shared language in each group"), default=True)
    max_per_institution = models.PositiveSmallIntegerField(
        _("at most this many from one institution per group"), null=True, blank=True
    )
    rotate = models.BooleanField(_("rotate: meet new people of the other sides"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group round")
        verbose_name_plural = _("group rounds")
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="group_round_number_unique"),
            models.CheckConstraint(
                condition=models.Q(size__gte=MIN_GROUP_SIZE, size__lte=MAX_GROUP_SIZE),
                name="group_round_size_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_per_institution__isnull=True)
                | models.Q(max_per_institution__gte=1),
                name="group_round_institution_limit_positive",
            ),
        ]

    def __str__(self):
        return f"{self.program} · round {self.number}"


class DialogueGroup(models.Model):
    """One group of a round. Named by its number, in the reader's language."""

    round = models.ForeignKey(GroupRound, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveSmallIntegerField(_("number"))

    class Meta:
        verbose_name = _("dialogue group")
        verbose_name_plural = _("dialogue groups")
        ordering = ["round", "number"]
        constraints = [
            models.UniqueConstraint(fields=["round", "number"], name="group_number_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return gettext("Group %(number)d") % {"number": self.number}


class GroupMember(models.Model):
    # The round is repeated here so that the database itself keeps a person in at most
    # one group of a round.
    round = models.ForeignKey(GroupRound, on_delete=models.CASCADE, related_name="members")
    group = models.ForeignKey(DialogueGroup, on_delete=models.CASCADE, related_name="members")
    participant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    locked = models.BooleanField(_("locked in this group"), default=False)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["group", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "participant"],
                                    name="group_member_one_group_per_round"),
        ]

    def __str__(self):
        return f"{self.participant} · {self.group}"
