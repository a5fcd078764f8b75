//! Sample pieces for the demo (and the tests, which attach them the way the demo does): a
//! small, valid one-page PDF that says what it stands for, and the `multipart/form-data` body
//! that uploads files as a browser's form or an API client sends them.

/// A one-page PDF 1.4 whose page reads `title` and « Document de démonstration » (ASCII
/// only: Helvetica's standard encoding, no font to embed).
#[must_use]
pub fn sample_pdf(title: &str) -> Vec<u8> {
    let ascii: String = title
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'É' | 'È' => 'E',
            'à' | 'â' => 'a',
            'ô' => 'o',
            'î' | 'ï' => 'i',
            'ù' | 'û' => 'u',
            'ç' => 'c',
            c if c.is_ascii_graphic() || c == ' ' => c,
            _ => ' ',
        })
        .filter(|c| !matches!(c, '(' | ')' | '\\'))
        .collect();
    let text = format!(
        "BT /F1 18 Tf 72 720 Td ({ascii}) Tj ET\nBT /F1 11 Tf 72 690 Td (Document de demonstration - Napoleon) Tj ET\n"
    );
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}endstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The kinds of piece a dossier still lacks to be submitted, from its API answer
/// (`GET /intake/api/v1/dossiers/{id}`: its `errors` name them `pieces-<code>`).
#[must_use]
pub fn missing_pieces(dossier: &serde_json::Value) -> Vec<String> {
    dossier["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            e["field"]
                .as_str()?
                .strip_prefix("pieces-")
                .map(str::to_owned)
        })
        .collect()
}

/// The boundary [`multipart`] uses.
pub const BOUNDARY: &str = "----napoleon-piece-boundary-7MA4YWxkTrZu0gW";

/// The `Content-Type` of a [`multipart`] body.
#[must_use]
pub fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// A `multipart/form-data` body: the text `fields` first, in order (the CSRF token, when
/// there is one, must be the very first), then each file as a `fichiers` part.
#[must_use]
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    multipart_named("fichiers", fields, files)
}

/// [`multipart`] with the files in the field `file_field` (the registry import's `fichier`).
#[must_use]
pub fn multipart_named(
    file_field: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (file_name, content) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sample_is_a_pdf_the_platform_accepts() {
        let pdf = super::sample_pdf("État des services");
        assert_eq!(
            napoleon_pieces::identify(&pdf, &napoleon_pieces::Bounds::default()),
            Ok(napoleon_pieces::PieceType::Pdf)
        );
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(Etat des services) Tj"), "{text}");
        assert!(text.ends_with("%%EOF\n"));
    }
}
