"""Dependencies every training router shares."""

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from common.fieldcrypt import FieldCipher
from common.pagination import PageParams, page_params


async def field_cipher(request: Request) -> FieldCipher:
    return request.app.state.field_cipher


CipherDep = Annotated[FieldCipher, Depends(field_cipher)]
PageDep = Annotated[PageParams, Depends(page_params)]
IfMatchHeader = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the version the change is based on")
]
SessionIdPath = Annotated[int, Path(ge=1, le=2**62, description="the session's id")]
TraineeIdPath = Annotated[int, Path(ge=1, le=2**62, description="the trainee's id")]
