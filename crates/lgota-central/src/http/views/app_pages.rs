//! The pages of the phones' app: the administrators' upload page and the public download page.

use askama::Template;

use super::pages::local_text;
use super::templates::{render, Frame};
use crate::http::state::Ctx;
use crate::store::AppRelease;

/// A release as the pages show it.
struct ReleaseLine {
    version: String,
    size: String,
    sha256: String,
    uploaded: String,
    login: String,
    kept: bool,
}

fn line(r: &AppRelease, tz: chrono_tz::Tz) -> ReleaseLine {
    ReleaseLine {
        version: r.version.clone(),
        size: crate::service::backup::size_text(r.bytes),
        sha256: r.sha256.clone(),
        uploaded: local_text(tz, r.uploaded_at_ms),
        login: r.login.clone(),
        kept: r.kept,
    }
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage<'a> {
    frame: Frame<'a>,
    done: Option<&'a str>,
    error: Option<&'a str>,
    releases: Vec<ReleaseLine>,
    url: &'a str,
    qr: &'a str,
}

pub fn app(ctx: &Ctx, releases: &[AppRelease], url: &str, qr: &str, done: Option<&str>, error: Option<&str>) -> String {
    render(&AppPage {
        frame: Frame::signed_in(&ctx.session.admin, &ctx.session.csrf, ctx.names, "/app", "Приложение"),
        done,
        error,
        releases: releases.iter().map(|r| line(r, ctx.tz)).collect(),
        url,
        qr,
    })
}

#[derive(Template)]
#[template(path = "app_download.html")]
struct DownloadPage<'a> {
    frame: Frame<'a>,
    release: Option<ReleaseLine>,
    apk_path: &'a str,
    url: &'a str,
    qr: &'a str,
}

pub fn download(latest: Option<&AppRelease>, url: &str, qr: &str) -> String {
    render(&DownloadPage {
        frame: Frame::bare("Скачать приложение «Льгота»"),
        // Shown to anyone: who uploaded it stays on the administrators' page.
        release: latest.map(|r| line(r, crate::settings::DEFAULT_TIMEZONE)),
        apk_path: crate::service::app::APK_PATH,
        url,
        qr,
    })
}
