from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from kring.accounts.models import (
    CoordinatorProfile,
    Municipality,
    Organisation,
    PostcodeRange,
    Region,
    User,
)


class MunicipalityInline(admin.TabularInline):
    model = Municipality
    extra = 0


class PostcodeRangeInline(admin.TabularInline):
    model = PostcodeRange
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MunicipalityInline, PostcodeRangeInline]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class StaffCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name"]


class StaffChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = StaffCreationForm
    form = StaffChangeForm
    ordering = ["full_name"]
    list_display = [
        "full_name",
        "email",
        "is_regional_manager",
        "is_coordinator",
        "is_researcher",
        "is_administrator",
        "is_active",
    ]
    list_filter = [
        "is_active",
        "is_regional_manager",
        "is_coordinator",
        "is_researcher",
        "is_administrator",
        "managed_regions",
    ]
    search_fields = ["full_name", "email"]
    filter_horizontal = ["managed_regions"]
    fieldsets = [
        (None, {"fields": ["email", "full_name", "phone", "password"]}),
        (
            _("Roles"),
            {
                "fields": [
                    "is_regional_manager",
                    "is_coordinator",
                    "is_researcher",
                    "is_administrator",
                    "managed_regions",
                    "sees_national_inbox",
                ]
            },
        ),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(CoordinatorProfile)
class CoordinatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "availability", "training", "max_cases"]
    list_filter = ["availability", "training", "regions"]
    filter_horizontal = ["regions", "organisations"]
    search_fields = ["user__full_name", "user__email"]
