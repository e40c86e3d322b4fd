"""The words of the hosted account pages, in each language the emails are written in (en, vi).

A plain catalog rather than gettext: the pages have a few dozen sentences, the emails keep one template
per language the same way, and no compiled ``.mo`` file has to be built. Django's own messages (the
password validators) come translated by Django under ``translation.override``.
"""

from __future__ import annotations

from gau.pages import LANGUAGES, catalog

__all__ = ["LANGUAGES", "TEXT"]

_OWN: dict[str, dict[str, str]] = {
    "en": {
        # verify email
        "verify_title": "Confirm your email address",
        "verify_intro": "Press the button to confirm that this address is yours.",
        "verify_button": "Confirm email",
        "verify_done_title": "Your address is confirmed",
        "verify_done": "Thank you. You can now sign in to your account.",
        "verify_used": "This link was already used. If your address is confirmed, you can sign in.",
        "verify_expired_action": "Send me a new link",
        # resend
        "resend_title": "Get a new confirmation link",
        "resend_intro": "Enter your email address and we will send you a new link.",
        "resend_button": "Send a new link",
        "resend_done_title": "Check your inbox",
        "resend_done": "If the address needs confirming, a new link is on its way. It works for 10 minutes.",
        "resend_wait": "A link was sent to this address less than a minute ago. Wait a moment and try again.",
        # reset password
        "reset_title": "Choose a new password",
        "reset_intro": "Enter your new password twice. Every device signed in to your account will be signed out.",
        "reset_password": "New password",
        "reset_password2": "New password again",
        "reset_button": "Change password",
        "reset_mismatch": "The two passwords are not the same.",
        "reset_missing": "Enter the new password in both fields.",
        "reset_done_title": "Your password was changed",
        "reset_done": "Sign in again with your new password. Every other session was signed out.",
        "reset_expired_action": "Ask for a new reset link",
        # forgot password
        "forgot_title": "Reset your password",
        "forgot_intro": "Enter the email address of your account and we will send you a link to choose a new password.",
        "forgot_button": "Send the link",
        "forgot_done_title": "Check your inbox",
        "forgot_done": "If the address has an account, a link is on its way. It works for 30 minutes.",
        # email change
        "email_title": "Confirm your new email address",
        "email_intro": "Press the button to use this address for your account:",
        "email_button": "Confirm new address",
        "email_done_title": "Your email address was changed",
        "email_done": "From now on, sign in with {email}.",
        "email_taken": "Another account now uses this address, so it cannot be moved to yours.",
        "email_expired_help": "Ask for the change again from your account settings.",
        # unlock
        "unlock_title": "Unlock sign-in",
        "unlock_intro": "After several wrong passwords, signing in to your account was paused. "
        "Press the button to allow it again.",
        "unlock_button": "Unlock",
        "unlock_done_title": "Sign-in is unlocked",
        "unlock_done": "You can sign in again. If it was not you who tried, change your password.",
        "unlock_expired_help": "Sign-in unlocks by itself after at most 15 minutes. You can also reset your password.",
        # outcomes shared by every link
        "expired_title": "This link has expired",
        "expired": "Links in our emails work for a short time only, to keep your account safe.",
        "used_title": "This link was already used",
        "used": "Each link works once. If you need to do this again, ask for a new link.",
        "invalid_title": "This link is not valid",
        "invalid": "The link may be incomplete. Open it again from the email, or copy the whole address.",
        "email_label": "Email address",
        "email_invalid": "Enter a valid email address.",
    },
    "vi": {
        "verify_title": "Xác nhận địa chỉ email",
        "verify_intro": "Nhấn nút để xác nhận đây là địa chỉ email của bạn.",
        "verify_button": "Xác nhận email",
        "verify_done_title": "Địa chỉ email đã được xác nhận",
        "verify_done": "Cảm ơn bạn. Bây giờ bạn có thể đăng nhập vào tài khoản.",
        "verify_used": "Liên kết này đã được sử dụng. Nếu địa chỉ của bạn đã được xác nhận, bạn có thể đăng nhập.",
        "verify_expired_action": "Gửi cho tôi liên kết mới",
        "resend_title": "Nhận liên kết xác nhận mới",
        "resend_intro": "Nhập địa chỉ email của bạn, chúng tôi sẽ gửi một liên kết mới.",
        "resend_button": "Gửi liên kết mới",
        "resend_done_title": "Hãy kiểm tra hộp thư",
        "resend_done": "Nếu địa chỉ cần xác nhận, một liên kết mới đang được gửi đến. "
        "Liên kết có hiệu lực trong 10 phút.",
        "resend_wait": "Một liên kết vừa được gửi đến địa chỉ này chưa đầy một phút trước. Vui lòng chờ rồi thử lại.",
        "reset_title": "Chọn mật khẩu mới",
        "reset_intro": "Nhập mật khẩu mới hai lần. Mọi thiết bị đang đăng nhập vào tài khoản sẽ bị đăng xuất.",
        "reset_password": "Mật khẩu mới",
        "reset_password2": "Nhập lại mật khẩu mới",
        "reset_button": "Đổi mật khẩu",
        "reset_mismatch": "Hai mật khẩu không giống nhau.",
        "reset_missing": "Hãy nhập mật khẩu mới vào cả hai ô.",
        "reset_done_title": "Mật khẩu đã được thay đổi",
        "reset_done": "Hãy đăng nhập lại bằng mật khẩu mới. Mọi phiên đăng nhập khác đã bị đăng xuất.",
        "reset_expired_action": "Yêu cầu liên kết đặt lại mới",
        "forgot_title": "Đặt lại mật khẩu",
        "forgot_intro": "Nhập địa chỉ email của tài khoản, chúng tôi sẽ gửi liên kết để bạn chọn mật khẩu mới.",
        "forgot_button": "Gửi liên kết",
        "forgot_done_title": "Hãy kiểm tra hộp thư",
        "forgot_done": "Nếu địa chỉ này có tài khoản, một liên kết đang được gửi đến. "
        "Liên kết có hiệu lực trong 30 phút.",
        "email_title": "Xác nhận địa chỉ email mới",
        "email_intro": "Nhấn nút để dùng địa chỉ này cho tài khoản của bạn:",
        "email_button": "Xác nhận địa chỉ mới",
        "email_done_title": "Địa chỉ email đã được thay đổi",
        "email_done": "Từ bây giờ, hãy đăng nhập bằng {email}.",
        "email_taken": "Một tài khoản khác đang dùng địa chỉ này, nên không thể chuyển nó sang tài khoản của bạn.",
        "email_expired_help": "Hãy yêu cầu đổi email lại trong phần cài đặt tài khoản.",
        "unlock_title": "Mở khóa đăng nhập",
        "unlock_intro": "Sau nhiều lần nhập sai mật khẩu, việc đăng nhập vào tài khoản của bạn đã bị tạm dừng. "
        "Nhấn nút để cho phép đăng nhập lại.",
        "unlock_button": "Mở khóa",
        "unlock_done_title": "Đã mở khóa đăng nhập",
        "unlock_done": "Bạn có thể đăng nhập lại. Nếu người thử đăng nhập không phải bạn, hãy đổi mật khẩu.",
        "unlock_expired_help": "Việc đăng nhập sẽ tự mở lại sau tối đa 15 phút. Bạn cũng có thể đặt lại mật khẩu.",
        "expired_title": "Liên kết đã hết hạn",
        "expired": "Để giữ an toàn cho tài khoản, các liên kết trong email chỉ có hiệu lực trong thời gian ngắn.",
        "used_title": "Liên kết đã được sử dụng",
        "used": "Mỗi liên kết chỉ dùng được một lần. Nếu cần làm lại, hãy yêu cầu liên kết mới.",
        "invalid_title": "Liên kết không hợp lệ",
        "invalid": "Liên kết có thể bị thiếu. Hãy mở lại từ email, hoặc sao chép toàn bộ địa chỉ.",
        "email_label": "Địa chỉ email",
        "email_invalid": "Hãy nhập một địa chỉ email hợp lệ.",
    },
}

#: The account pages' words over the shared ones (brand, footer, CSRF and service-down pages).
TEXT = catalog(_OWN)
