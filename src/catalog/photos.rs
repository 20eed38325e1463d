//! Product photos: up to [`MAX_PRODUCT_PHOTOS`] per product, uploaded by
//! the product's cooperative's managers, kept as three resized WebP
//! variants on disk under the data folder, ordered (the first is the
//! cover), removable.
//!
//! An uploaded file is untrusted bytes. It is read like an import file
//! (`stock/upload.rs`): never on the async runtime, never past a budget:
//! - the size of the file is checked before anything else;
//! - the format is told from the first bytes (JPEG, PNG or WebP; the
//!   content type the browser sent is not believed);
//! - the declared width and height are read from the header and checked
//!   ([`MAX_PHOTO_PIXELS`], [`MAX_PHOTO_SIDE`]) before a pixel is decoded,
//!   and the decoder runs under `image::Limits` as well;
//! - decoding and resizing run on the blocking pool ([`process_upload`]),
//!   in one of the process's few places for heavy uploads (shared with the
//!   imports), checking a deadline between the steps.
//!
//! Decoding is the `image` crate's pure-Rust decoders (zune-jpeg, png,
//! image-webp); the pixels are then re-encoded, so nothing of the file but
//! its picture survives: no EXIF (GPS position, phone model), no ICC or
//! XMP. The EXIF orientation is applied first, so a phone photo taken
//! upright stays upright. The variants are lossy WebP from libwebp
//! (the `webp` crate, which builds libwebp from source it ships): see
//! "Photos" in docs/ARCHITECTURE.md for why not `image`'s own
//! lossless-only WebP encoder.
//!
//! Files are named `<photo id>-<key>-<width>.webp` under
//! `<data>/photos/<product id>/`, the key being the first 16 hex digits of
//! the SHA-256 of the decoded picture: a name is never reused for other
//! content, so the pages can let browsers cache a photo for a year. A row
//! is committed only after its files are on disk; deleting removes the
//! row, then its files.

use super::Photo;
use crate::bounds::{MAX_PHOTO_BYTES, MAX_PHOTO_PIXELS, MAX_PHOTO_SECONDS, MAX_PHOTO_SIDE, MAX_PRODUCT_PHOTOS};
use crate::db::Db;
use crate::stock::upload::ImportSlots;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The boxes the variants fit in (longest side, pixels): thumbnail, card,
/// full. A variant is never larger than the picture it comes from.
pub const VARIANT_BOXES: [u32; 3] = [160, 480, 1200];

/// Quality of the lossy WebP variants (libwebp's 0–100 scale): 78 keeps
/// produce photos free of visible blocks at about a tenth of the lossless
/// size.
const WEBP_QUALITY: f32 = 78.0;

/// Formats accepted, told from the file's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoFormat {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// WebP (`RIFF….WEBP`).
    Webp,
}

impl PhotoFormat {
    /// The format of `bytes`, from their magic number; `None` for anything
    /// else (GIF, HEIC, a PDF, text).
    pub fn sniff(bytes: &[u8]) -> Option<PhotoFormat> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(PhotoFormat::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(PhotoFormat::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(PhotoFormat::Webp)
        } else {
            None
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            PhotoFormat::Jpeg => image::ImageFormat::Jpeg,
            PhotoFormat::Png => image::ImageFormat::Png,
            PhotoFormat::Webp => image::ImageFormat::WebP,
        }
    }
}

/// Why a photo was refused. Each is a code with its values; the pages word
/// them (`web::words`).
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// No file was sent, or an empty one.
    #[error("no photo was sent")]
    Empty,
    /// Not a JPEG, PNG or WebP file.
    #[error("the file is not a JPEG, PNG or WebP picture")]
    WrongType,
    /// The file is larger than [`MAX_PHOTO_BYTES`].
    #[error("the file is larger than {max} bytes")]
    TooLarge {
        /// The limit, in bytes.
        max: usize,
    },
    /// The picture has more pixels (or a longer side) than allowed.
    #[error("the picture is {width} × {height} pixels; at most {max_pixels} pixels and {max_side} on a side")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// [`MAX_PHOTO_PIXELS`].
        max_pixels: u64,
        /// [`MAX_PHOTO_SIDE`].
        max_side: u32,
    },
    /// The file says it is a picture but cannot be decoded.
    #[error("the picture cannot be read")]
    Unreadable,
    /// Reading took longer than [`MAX_PHOTO_SECONDS`].
    #[error("reading the picture took longer than {secs} s")]
    TooSlow {
        /// The limit, in seconds.
        secs: u64,
    },
    /// The product has [`MAX_PRODUCT_PHOTOS`] already.
    #[error("a product has at most {max} photos")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// The same picture is already one of the product's photos.
    #[error("this photo is already one of the product's")]
    Duplicate,
    /// Every place for heavy uploads is taken; come back in a few seconds.
    #[error("busy; try again in {retry_after_secs} s")]
    Busy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// No such product or photo among the acting cooperative's.
    #[error("not found")]
    NotFound,
    /// Writing or removing a file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The limits one photo is read within. [`PhotoBudget::DEFAULT`] is what
/// uploads get; tests use smaller ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoBudget {
    /// Most bytes of the file.
    pub bytes: usize,
    /// Most pixels, width × height.
    pub pixels: u64,
    /// Longest side.
    pub side: u32,
    /// Longest time.
    pub time: Duration,
}

impl PhotoBudget {
    /// The limits of `bounds.rs`.
    pub const DEFAULT: PhotoBudget = PhotoBudget {
        bytes: MAX_PHOTO_BYTES,
        pixels: MAX_PHOTO_PIXELS,
        side: MAX_PHOTO_SIDE,
        time: Duration::from_secs(MAX_PHOTO_SECONDS),
    };
}

/// A photo read and resized, ready to be stored.
#[derive(Debug, Clone)]
pub struct Processed {
    /// 16 hex digits of the SHA-256 of the decoded, upright picture.
    pub key: String,
    /// Size of the largest variant.
    pub width: u32,
    /// Size of the largest variant.
    pub height: u32,
    /// Each variant's box and WebP bytes, smallest first.
    pub variants: Vec<(u32, Vec<u8>)>,
}

/// `(width, height)` scaled to fit a `bx` × `bx` box, never enlarged, each
/// side at least one pixel. The pages compute the sizes of the smaller
/// variants from the largest with this same function.
pub fn fit(width: u32, height: u32, bx: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= bx || long == 0 {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(bx) + u64::from(long) / 2) / u64::from(long)).max(1) as u32;
    (scale(width), scale(height))
}

/// Reads, checks and resizes one photo within `budget`. Blocking: call it
/// on the blocking pool ([`process_upload`] does).
pub fn process(bytes: &[u8], budget: &PhotoBudget) -> Result<Processed, PhotoError> {
    use image::{DynamicImage, ImageDecoder, ImageReader};
    let started = Instant::now();
    let over_time = || started.elapsed() > budget.time;
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > budget.bytes {
        return Err(PhotoError::TooLarge { max: budget.bytes });
    }
    let format = PhotoFormat::sniff(bytes).ok_or(PhotoError::WrongType)?;
    let reader = || ImageReader::with_format(std::io::Cursor::new(bytes), format.image_format());
    // The header's word for the size, before any pixel is decoded.
    let (width, height) = reader().into_dimensions().map_err(|_| PhotoError::Unreadable)?;
    let too_many = || PhotoError::TooManyPixels { width, height, max_pixels: budget.pixels, max_side: budget.side };
    if width == 0 || height == 0 {
        return Err(PhotoError::Unreadable);
    }
    if u64::from(width) * u64::from(height) > budget.pixels || width.max(height) > budget.side {
        return Err(too_many());
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(budget.side);
    limits.max_image_height = Some(budget.side);
    // RGBA at 8 bits, twice over for the decoder's own buffers.
    limits.max_alloc = Some(budget.pixels.saturating_mul(8));
    let mut r = reader();
    r.limits(limits);
    let mut decoder = r.into_decoder().map_err(|_| PhotoError::Unreadable)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => too_many(),
        _ => PhotoError::Unreadable,
    })?;
    if over_time() {
        return Err(PhotoError::TooSlow { secs: budget.time.as_secs() });
    }
    picture.apply_orientation(orientation);
    let rgb = flatten_on_white(picture);
    let key = {
        let digest = Sha256::new()
            .chain_update(rgb.width().to_le_bytes())
            .chain_update(rgb.height().to_le_bytes())
            .chain_update(rgb.as_raw())
            .finalize();
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect::<String>()
    };
    // Largest first, each from the one before: the big step from the
    // original is an area average (`thumbnail_exact`, fast and right for
    // shrinking); the smaller ones start from 1,200 pixels.
    let mut variants = Vec::with_capacity(VARIANT_BOXES.len());
    // Every variant's size comes from the largest one's by [`fit`], as
    // the pages compute it, so `width`/`height` on a page are exact.
    let full = fit(rgb.width(), rgb.height(), VARIANT_BOXES[VARIANT_BOXES.len() - 1]);
    let mut source = DynamicImage::ImageRgb8(rgb);
    for bx in VARIANT_BOXES.iter().rev() {
        if over_time() {
            return Err(PhotoError::TooSlow { secs: budget.time.as_secs() });
        }
        let (w, h) = fit(full.0, full.1, *bx);
        let resized = if (w, h) == (source.width(), source.height()) { source.clone() } else { source.thumbnail_exact(w, h) };
        let pixels = resized.to_rgb8();
        let webp = webp::Encoder::from_rgb(pixels.as_raw(), w, h).encode_simple(false, WEBP_QUALITY).map_err(|_| PhotoError::Unreadable)?;
        variants.push((*bx, webp.to_vec()));
        source = resized;
    }
    variants.reverse();
    Ok(Processed { key, width: full.0, height: full.1, variants })
}

/// The pixels as RGB; a transparent PNG or WebP is laid on white (a
/// product page's background), not on black.
fn flatten_on_white(picture: image::DynamicImage) -> image::RgbImage {
    if !picture.color().has_alpha() {
        return picture.to_rgb8();
    }
    let rgba = picture.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = image::RgbImage::new(w, h);
    for (src, dst) in rgba.pixels().zip(out.pixels_mut()) {
        let a = u16::from(src[3]);
        for i in 0..3 {
            dst[i] = ((u16::from(src[i]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// Takes a place among the heavy uploads (or answers [`PhotoError::Busy`]
/// at once: a queue of waiting uploads would hold their files in memory)
/// and reads the photo on the blocking pool.
pub async fn process_upload<B>(slots: &ImportSlots, bytes: B) -> Result<Processed, PhotoError>
where
    B: AsRef<[u8]> + Send + 'static,
{
    // The cheap refusals first, without a place or a thread.
    let b = bytes.as_ref();
    if b.is_empty() {
        return Err(PhotoError::Empty);
    }
    if b.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge { max: MAX_PHOTO_BYTES });
    }
    let Some(slot) = slots.try_take() else {
        return Err(PhotoError::Busy { retry_after_secs: crate::stock::upload::BUSY_RETRY_AFTER_SECS });
    };
    let processed = tokio::task::spawn_blocking(move || {
        let answer = process(bytes.as_ref(), &PhotoBudget::DEFAULT);
        drop(slot);
        answer
    })
    .await
    .map_err(|e| PhotoError::Io(std::io::Error::other(e)))??;
    Ok(processed)
}

/// The folder of a product's photo files, under the photos folder
/// (`Config::photos_dir`, by default `<data>/photos`).
pub fn product_dir(photos_dir: &Path, product_id: i64) -> PathBuf {
    photos_dir.join(product_id.to_string())
}

/// A variant's file name: `<photo id>-<key>-<box>.webp`.
pub fn file_name(photo_id: i64, key: &str, bx: u32) -> String {
    format!("{photo_id}-{key}-{bx}.webp")
}

/// Whether `name` is a name [`file_name`] makes (so a path built from a
/// request's words stays inside the product's folder).
pub fn is_file_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".webp") else { return false };
    let parts: Vec<&str> = stem.split('-').collect();
    matches!(parts.as_slice(), [id, key, bx]
        if !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit())
            && key.len() == 16 && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && VARIANT_BOXES.iter().any(|v| v.to_string() == *bx))
}

/// Checks that `product_id` is one of `cooperative_id`'s products, locking
/// its row for the rest of the transaction: the photo count read next and
/// the photos' order are decided one writer at a time per product.
async fn lock_own_product(tx: &mut crate::db::Tx, cooperative_id: i64, product_id: i64) -> Result<(), PhotoError> {
    let sql = format!("SELECT cooperative_id FROM products WHERE id = $1{}", tx.for_update());
    let owner: Option<i64> = sqlx::query_scalar(&sql).bind(product_id).fetch_optional(&mut **tx).await?;
    // Another cooperative's product is "not found": its existence is no
    // business of this manager's.
    if owner != Some(cooperative_id) {
        return Err(PhotoError::NotFound);
    }
    Ok(())
}

/// Whether `product_id` is one of `cooperative_id`'s products (a read, for
/// refusing before a photo is processed).
pub async fn owns(db: &Db, cooperative_id: i64, product_id: i64) -> sqlx::Result<bool> {
    let owner: Option<i64> =
        sqlx::query_scalar("SELECT cooperative_id FROM products WHERE id = $1").bind(product_id).fetch_optional(db.pool()).await?;
    Ok(owner == Some(cooperative_id))
}

/// Writes `bytes` to `path` through a temporary name and a rename, so a
/// reader never sees half a file, and syncs it.
async fn write_atomically(path: &Path, bytes: Vec<u8>) -> std::io::Result<()> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Adds a processed photo to a product of the acting cooperative, last in
/// order. The row is inserted, its files written, then the row committed
/// with a search-outbox row (the cards show the cover): a committed photo
/// always has its files. Refused past [`MAX_PRODUCT_PHOTOS`] and for a
/// picture the product has already.
pub async fn add(
    db: &Db,
    photos_dir: &Path,
    cooperative_id: i64,
    user_id: i64,
    product_id: i64,
    photo: Processed,
) -> Result<i64, PhotoError> {
    let mut tx = db.begin_write().await?;
    lock_own_product(&mut tx, cooperative_id, product_id).await?;
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM product_photos WHERE product_id = $1").bind(product_id).fetch_one(&mut *tx).await?;
    if count >= MAX_PRODUCT_PHOTOS as i64 {
        return Err(PhotoError::TooMany { max: MAX_PRODUCT_PHOTOS });
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO product_photos (product_id, photo_key, position, width, height, uploaded_by, created_at) \
         SELECT $1, $2, COALESCE(MAX(position), 0) + 1, $3, $4, $5, $6 FROM product_photos WHERE product_id = $1 \
         ON CONFLICT (product_id, photo_key) DO NOTHING RETURNING id",
    )
    .bind(product_id)
    .bind(&photo.key)
    .bind(i64::from(photo.width))
    .bind(i64::from(photo.height))
    .bind(user_id)
    .bind(crate::time::now())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else { return Err(PhotoError::Duplicate) };
    let dir = product_dir(photos_dir, product_id);
    tokio::fs::create_dir_all(&dir).await?;
    let mut written = Vec::new();
    for (bx, bytes) in photo.variants {
        let path = dir.join(file_name(id, &photo.key, bx));
        if let Err(e) = write_atomically(&path, bytes).await {
            remove_files(&written).await;
            return Err(e.into());
        }
        written.push(path);
    }
    crate::outbox::enqueue(&mut tx, product_id).await?;
    if let Err(e) = tx.commit().await {
        remove_files(&written).await;
        return Err(e.into());
    }
    tracing::info!(product.id = product_id, photo.id = id, "photo added");
    Ok(id)
}

async fn remove_files(paths: &[PathBuf]) {
    for p in paths {
        if let Err(e) = tokio::fs::remove_file(p).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "a photo file could not be removed");
        }
    }
}

/// Removes a photo of a product of the acting cooperative: the row first
/// (committed with a search-outbox row), then its files. Files are named
/// by the photo's own id, so no other row can be using them.
pub async fn delete(db: &Db, photos_dir: &Path, cooperative_id: i64, product_id: i64, photo_id: i64) -> Result<(), PhotoError> {
    let mut tx = db.begin_write().await?;
    lock_own_product(&mut tx, cooperative_id, product_id).await?;
    let key: Option<String> = sqlx::query_scalar("DELETE FROM product_photos WHERE id = $1 AND product_id = $2 RETURNING photo_key")
        .bind(photo_id)
        .bind(product_id)
        .fetch_optional(&mut *tx)
        .await?;
    let key = key.ok_or(PhotoError::NotFound)?;
    crate::outbox::enqueue(&mut tx, product_id).await?;
    tx.commit().await?;
    let dir = product_dir(photos_dir, product_id);
    let paths: Vec<PathBuf> = VARIANT_BOXES.iter().map(|bx| dir.join(file_name(photo_id, &key, *bx))).collect();
    remove_files(&paths).await;
    tracing::info!(product.id = product_id, photo.id = photo_id, "photo removed");
    Ok(())
}

/// Makes a photo the product's first (its cover on cards and at the top
/// of the product page).
pub async fn make_first(db: &Db, cooperative_id: i64, product_id: i64, photo_id: i64) -> Result<(), PhotoError> {
    let mut tx = db.begin_write().await?;
    lock_own_product(&mut tx, cooperative_id, product_id).await?;
    let first: Option<i64> =
        sqlx::query_scalar("SELECT MIN(position) FROM product_photos WHERE product_id = $1").bind(product_id).fetch_one(&mut *tx).await?;
    let moved = sqlx::query("UPDATE product_photos SET position = $1 WHERE id = $2 AND product_id = $3")
        .bind(first.unwrap_or(1) - 1)
        .bind(photo_id)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(PhotoError::NotFound);
    }
    crate::outbox::enqueue(&mut tx, product_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The photos of each of `ids`, first first.
pub async fn of_products(db: &Db, ids: &[i64]) -> sqlx::Result<HashMap<i64, Vec<Photo>>> {
    let mut by: HashMap<i64, Vec<Photo>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by);
    }
    let sql = format!(
        "SELECT product_id, id, photo_key, width, height FROM product_photos WHERE product_id IN ({}) ORDER BY product_id, position, id",
        crate::db::list_placeholders(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, (i64, i64, String, i64, i64)>(&sql);
    for id in ids {
        q = q.bind(*id);
    }
    for (product_id, id, key, width, height) in q.fetch_all(db.pool()).await? {
        by.entry(product_id).or_default().push(Photo { id, product_id, key, width: width as u32, height: height as u32 });
    }
    Ok(by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_fit_their_box_and_are_never_enlarged() {
        assert_eq!(fit(4000, 3000, 1200), (1200, 900));
        assert_eq!(fit(3000, 4000, 480), (360, 480));
        assert_eq!(fit(100, 80, 480), (100, 80));
        assert_eq!(fit(10_000, 3, 160), (160, 1));
    }

    #[test]
    fn only_names_this_module_makes_are_file_names() {
        assert!(is_file_name(&file_name(7, "0123456789abcdef", 480)));
        for bad in [
            "../x.webp",
            "7-0123456789abcdef-481.webp",
            "7-0123456789ABCDEF-480.webp",
            "-0123456789abcdef-480.webp",
            "7-0123456789abcdef-480.png",
            "7-0123-480.webp",
        ] {
            assert!(!is_file_name(bad), "{bad}");
        }
    }

    /// A photo-like picture: light and shade, shapes, and a camera's
    /// sensor noise (what makes lossless encoding of photos heavy).
    fn photo_like(w: u32, h: u32) -> Vec<u8> {
        let mut seed = 0x2545_f491_u32;
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = (seed % 17) as i32 - 8;
            let (cx, cy) = (x as i32 - w as i32 / 2, y as i32 - h as i32 / 2);
            let inside = cx * cx + cy * cy < (h as i32 / 3).pow(2);
            let base =
                if inside { [200, 150 + (y * 60 / h) as i32, 40] } else { [60 + (x * 120 / w) as i32, 110, 70 + (y * 100 / h) as i32] };
            image::Rgb(base.map(|c| (c + noise).clamp(0, 255) as u8))
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_photo_becomes_three_lossy_webp_variants_far_lighter_than_lossless() {
        // A noisy PNG is larger than a JPEG of the same photo would be.
        let p = process(&photo_like(2000, 1500), &PhotoBudget { bytes: usize::MAX, ..PhotoBudget::DEFAULT }).unwrap();
        assert_eq!((p.width, p.height), (1200, 900));
        let sizes: Vec<(u32, usize)> = p.variants.iter().map(|(bx, b)| (*bx, b.len())).collect();
        for (bx, bytes) in &p.variants {
            let back = image::load_from_memory_with_format(bytes, image::ImageFormat::WebP).unwrap();
            assert_eq!((back.width(), back.height()), fit(1200, 900, *bx));
        }
        // The card variant of a noisy photo: lossy WebP stays far under
        // what image's lossless encoder makes of the same pixels.
        let card = image::load_from_memory(&p.variants[1].1).unwrap().to_rgb8();
        let mut lossless = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(card).write_to(&mut lossless, image::ImageFormat::WebP).unwrap();
        eprintln!("variants {sizes:?}; the card losslessly: {} bytes", lossless.get_ref().len());
        assert!(sizes[1].1 * 3 < lossless.get_ref().len(), "{sizes:?} against {}", lossless.get_ref().len());
        assert!(sizes[1].1 < 60_000, "a card picture under 60 KB: {sizes:?}");
    }

    #[test]
    fn a_picture_declaring_too_many_pixels_is_refused_before_it_is_decoded() {
        let over = PhotoBudget { pixels: 100, ..PhotoBudget::DEFAULT };
        assert!(matches!(process(&photo_like(20, 10), &over), Err(PhotoError::TooManyPixels { width: 20, height: 10, .. })));
        assert!(matches!(process(b"GIF89a", &PhotoBudget::DEFAULT), Err(PhotoError::WrongType)));
        let small = PhotoBudget { bytes: 10, ..PhotoBudget::DEFAULT };
        assert!(matches!(process(&photo_like(20, 10), &small), Err(PhotoError::TooLarge { max: 10 })));
    }

    #[test]
    fn formats_are_told_from_their_first_bytes() {
        assert_eq!(PhotoFormat::sniff(b"\xFF\xD8\xFF\xE0rest"), Some(PhotoFormat::Jpeg));
        assert_eq!(PhotoFormat::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(PhotoFormat::Png));
        assert_eq!(PhotoFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(PhotoFormat::Webp));
        assert_eq!(PhotoFormat::sniff(b"GIF89a"), None);
    }
}
