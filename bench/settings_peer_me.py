"""Gau's production settings plus simplejwt as its docs recommend (see bench/peer_me.py)."""

from datetime import timedelta

from gau.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_peer_me"
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=10),
    "ALGORITHM": "HS256",
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}
