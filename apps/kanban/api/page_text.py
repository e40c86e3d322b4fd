"""The words of the kanban invitation page, in each language the emails are written in (en, vi); the
shared ones (brand, footer, CSRF and service-down pages) come from :mod:`gau.pages`."""

from __future__ import annotations

from gau.pages import catalog

__all__ = ["TEXT"]

_OWN: dict[str, dict[str, str]] = {
    "en": {
        "accept_title": "Join “{project}”",
        "accept_intro": "You were invited to the project “{project}” as {role}. "
        "Sign in with the account of the invited address to accept.",
        "accept_button": "Sign in and accept",
        "no_account": "No account yet? Register with the invited address in the app, confirm the address, "
        "then open this link again.",
        "email_label": "Email address",
        "password_label": "Password",
        "code_label": "Authentication code",
        "mfa_intro": "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
        "mfa_button": "Confirm and accept",
        "missing": "Enter your email address and your password.",
        "missing_code": "Enter the code.",
        "wrong_credentials": "The email address and password do not match an account.",
        "wrong_code": "This code is not correct. Try the current one.",
        "step_expired": "The sign-in step expired. Sign in again.",
        "not_verified": "Confirm your email address first (the link is in the email we sent when you registered), "
        "then open the invitation again.",
        "accepted_title": "You joined “{project}”",
        "accepted": "You are now a member of “{project}” as {role}. Open Gau to see its boards.",
        "invalid_title": "This invitation cannot be used",
        "invalid": "This invitation is not valid for your account. It may have expired or been used already. "
        "Ask the person who invited you to send a new one.",
        "throttled_title": "Too many attempts",
        "throttled": "Signing in was paused after several wrong attempts. Try again later, "
        "or use the unlock link we emailed you.",
        "role_viewer": "a viewer",
        "role_member": "a member",
        "role_admin": "an admin",
        "role_owner": "an owner",
    },
    "vi": {
        "accept_title": "Tham gia “{project}”",
        "accept_intro": "Bạn được mời tham gia dự án “{project}” với vai trò {role}. "
        "Hãy đăng nhập bằng tài khoản của địa chỉ được mời để chấp nhận.",
        "accept_button": "Đăng nhập và chấp nhận",
        "no_account": "Chưa có tài khoản? Hãy đăng ký bằng địa chỉ được mời trong ứng dụng, xác nhận địa chỉ, "
        "rồi mở lại liên kết này.",
        "email_label": "Địa chỉ email",
        "password_label": "Mật khẩu",
        "code_label": "Mã xác thực",
        "mfa_intro": "Nhập mã 6 chữ số từ ứng dụng xác thực, hoặc một trong các mã khôi phục của bạn.",
        "mfa_button": "Xác nhận và chấp nhận",
        "missing": "Hãy nhập địa chỉ email và mật khẩu.",
        "missing_code": "Hãy nhập mã.",
        "wrong_credentials": "Địa chỉ email và mật khẩu không khớp với tài khoản nào.",
        "wrong_code": "Mã này không đúng. Hãy thử mã hiện tại.",
        "step_expired": "Bước đăng nhập đã hết hạn. Hãy đăng nhập lại.",
        "not_verified": "Hãy xác nhận địa chỉ email trước (liên kết nằm trong email chúng tôi gửi khi bạn đăng ký), "
        "rồi mở lại lời mời.",
        "accepted_title": "Bạn đã tham gia “{project}”",
        "accepted": "Bạn đã là thành viên của “{project}” với vai trò {role}. Hãy mở Gau để xem các bảng.",
        "invalid_title": "Không thể dùng lời mời này",
        "invalid": "Lời mời này không hợp lệ với tài khoản của bạn. Có thể nó đã hết hạn hoặc đã được sử dụng. "
        "Hãy nhờ người mời gửi lời mời mới.",
        "throttled_title": "Quá nhiều lần thử",
        "throttled": "Việc đăng nhập đã bị tạm dừng sau nhiều lần thử sai. Hãy thử lại sau, "
        "hoặc dùng liên kết mở khóa chúng tôi đã gửi qua email.",
        "role_viewer": "người xem",
        "role_member": "thành viên",
        "role_admin": "quản trị viên",
        "role_owner": "chủ sở hữu",
    },
}

#: The invitation page's words over the shared ones.
TEXT = catalog(_OWN)
