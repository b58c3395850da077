"""E-mails to a client's people in the MSP's name: the MSP as the sender's display name, its
name (and logo) at the top, its support contacts at the foot; a text part and an HTML part.

The logo travels inside the message as an inline image (`cid:`), never as a link: a link would
make every mail client fetch from the installation (often unreachable from outside, and a
tracking pixel in effect), and most clients block remote images anyway.

Structure: multipart/mixed [ multipart/alternative [ text, multipart/related [ html, logo ] ],
attachments… ]. The address stays the installation's sender (`mail` swaps in the server's From
address and keeps this display name).
"""

from __future__ import annotations

from collections.abc import Sequence
from email.mime.image import MIMEImage
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from django.template.loader import render_to_string

from watchkeeper.branding.selectors import Brand, brand_current, brand_logo

LOGO_CID = "logo@watchkeeper.brand"
LOGO_HEIGHT = 40  # pixels, as shown in the HTML part


class BrandedEmail(EmailMultiAlternatives):
    """An e-mail whose HTML part may show images carried inside it (`inline`: Content-ID,
    bytes, MIME subtype)."""

    def __init__(self, *args: Any, inline: Sequence[tuple[str, bytes, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inline = list(inline)

    def _create_alternatives(self, msg: Any) -> Any:
        msg = super()._create_alternatives(msg)  # type: ignore[misc]  # Django private, not in its stubs
        if not self.inline or not self.alternatives:
            return msg
        related = SafeMIMEMultipart(_subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET)
        parts = msg.get_payload()
        related.attach(parts[-1])  # the HTML part
        for content_id, data, subtype in self.inline:
            image = MIMEImage(data, _subtype=subtype)
            image["Content-ID"] = f"<{content_id}>"
            image["Content-Disposition"] = f'inline; filename="logo.{subtype}"'
            related.attach(image)
        msg.set_payload([*parts[:-1], related])
        return msg


def brand_sender(brand: Brand) -> str:
    """The installation's sender address under the MSP's name, e.g. `Lighthouse IT <wk@…>`."""
    return formataddr((brand.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


def _logo_inline(brand: Brand) -> tuple[str, bytes, str] | None:
    logo = brand_logo() if brand.has_logo else None
    if logo is None:
        return None
    return (LOGO_CID, logo.data, logo.content_type.split("/", 1)[1])


def _logo_size(brand: Brand) -> tuple[int, int]:
    """Width and height to show the logo at: LOGO_HEIGHT high, at most 240 wide."""
    if not brand.logo_height:
        return 0, 0
    height = LOGO_HEIGHT
    width = round(brand.logo_width * height / brand.logo_height)
    if width > 240:
        width, height = 240, max(1, round(brand.logo_height * 240 / brand.logo_width))
    return width, height


def branded_email(
    *,
    subject: str,
    paragraphs: Sequence[str],
    to: Sequence[str],
    greeting: str = "Hello,",
    brand: Brand | None = None,
) -> BrandedEmail:
    """A message to a client's people from the MSP; `paragraphs` are plain text (escaped in
    the HTML part). The caller may attach files before sending."""
    brand = brand or brand_current()
    inline = _logo_inline(brand)
    width, height = _logo_size(brand) if inline else (0, 0)
    context = {
        "brand": brand, "greeting": greeting, "paragraphs": list(paragraphs), "subject": subject,
        "logo_cid": LOGO_CID if inline else "", "logo_width": width, "logo_height": height,
    }  # fmt: skip
    message = BrandedEmail(
        subject=subject,
        body=render_to_string("branding/email/message.txt", context),
        from_email=brand_sender(brand),
        to=list(to),
        inline=[inline] if inline else [],
    )
    message.attach_alternative(render_to_string("branding/email/message.html", context), "text/html")
    return message
