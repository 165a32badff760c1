from django.contrib import admin

from .models import Committee, Council, Meeting, Membership, Term


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "seat_count"]
    inlines = [TermInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Read-only: changes go through the secretariat pages so that the history is kept."""

    list_display = ["person", "term", "role", "status", "selection_method"]
    list_filter = ["status", "role", "term__council"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register([Committee, Meeting])
