"""The identity photo as an image: decoded once when it is taken (Pillow), and its small square copy for the
queue's rows, so that a page of 50 rows never ships 50 full photos."""

from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError

SMALL_SIDE = 96  # pixels of the stored copy; the queue shows it at 48 CSS pixels (sharp on a 2x screen)
SMALL_TYPE = "image/jpeg"
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


def small_copy(data: bytes, content_type: str) -> bytes | None:
    """A SMALL_SIDE-pixel square JPEG of the photo (turned upright, cropped around the face's usual place a little
    above the middle), or None when the data does not decode as the JPEG or PNG it claims to be. The caller checks
    the size in the header first (PHOTO_MAX_SIDE), so a crafted giant is never decoded."""
    try:
        with Image.open(BytesIO(data), formats=list(FORMATS)) as image:
            if FORMATS.get(image.format or "") != content_type:
                return None
            image.draft("RGB", (SMALL_SIDE * 2, SMALL_SIDE * 2))  # JPEG: decode at a reduced scale, much faster
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    square = ImageOps.fit(upright, (SMALL_SIDE, SMALL_SIDE), method=Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    out = BytesIO()
    square.save(out, format="JPEG", quality=80, optimize=True)
    return out.getvalue()
