"""Majlis' allauth account adapter (ACCOUNT_ADAPTER): the one place that touches allauth's internals."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.ratelimit import get_ip


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The key of allauth's per-key failed sign-in limit (`login_failed`, ".../key"): the account *and* the
        client address, not the account alone, so that failures from one address never lock the account for
        its owner elsewhere (a facilitator in the middle of a session). Every address stays limited by the
        per-address rate; guessing one account from many addresses is what two-factor authentication is for.
        Also the key a successful password reset clears (for the address that reset it)."""
        login = str(credentials.get("email", credentials.get("username", ""))).lower()
        return f"{get_ip(request)}:{login}"
