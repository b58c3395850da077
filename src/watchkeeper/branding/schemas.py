"""API schemas of the MSP's brand (one in, one out per operation; names unique in the document)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from watchkeeper.core.schemas import InputSchema


class BrandingLogoOut(Schema):
    url: str = Field(description="Where the logo is served; changes whenever the logo does")
    content_type: str = Field(description="image/png or image/jpeg")
    width: int
    height: int
    sha256: str


class BrandingOut(Schema):
    name: str = Field(description="The MSP's name as set; empty: none set")
    display_name: str = Field(description="The name clients see: `name`, or the product's own")
    accent: str = Field(description="#rrggbb, or empty for the default")
    support_email: str
    support_phone: str
    support_url: str
    logo: BrandingLogoOut | None = Field(description="None: no logo, clients see the name alone")
    updated_at: dt.datetime | None
    updated_by: str | None = Field(description="The e-mail of who changed it last")


class BrandingIn(InputSchema):
    """The brand's texts, replaced as a whole: a field left out is cleared. The logo is set
    with its own operation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Lighthouse Managed IT",
                    "accent": "#0b5cad",
                    "support_email": "help@lighthouse-it.example",
                    "support_phone": "+44 20 7946 0100",
                    "support_url": "https://help.lighthouse-it.example",
                }
            ]
        }
    )

    name: str = Field(max_length=100, description="The MSP's name; empty: the product's own is shown")
    accent: str = Field("", max_length=7, description="#rrggbb, or empty for the default")
    support_email: str = Field("", max_length=254)
    support_phone: str = Field("", max_length=40)
    support_url: str = Field("", max_length=300, description="An https:// (or http://) address")
