//! The web interface in a real browser: the real `kinerja serve` binary with a temporary SQLite
//! database, chromedriver, and headless Chromium driven through WebDriver (fantoccini). An
//! officer signs in and files a realisation; it appears on the supervisor's open page without a
//! reload (the live feed); the supervisor evaluates; a member of the public answers the survey
//! with a code and the public IKM changes; the auditor finds the officer, reads the timeline and
//! verifies the signed ledger head; the leaders' dashboard shows its charts. Every page is
//! checked for unlabelled form controls and saved as a screenshot in `target/web-screenshots/`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver`; without them the test fails and
//! says how to install them.

mod browser;
mod server;

use chrono::Datelike;
use serde_json::json;

use browser::{Browser, Driver};
use server::Server;

const ME: &str = "198503142010011002";
const BOSS: &str = "197001011995031001";
const BIG: &str = "196501011990031003";
const UNIT: &str = "DISKOMINFO";

/// Units, officers and appraisers through the JSON API; ME's SKP drafted and submitted.
async fn organisation(s: &Server, year: i32) -> (String, String, String) {
    let admin = s.admin.clone();
    s.post(
        &admin,
        "/api/v1/units",
        json!({"code": "PEMKO", "name": "Pemerintah Kota Lhokseumawe", "kind": "PEMKO"}),
        201,
    )
    .await;
    s.post(&admin, "/api/v1/units", json!({"code": UNIT, "name": "Dinas Komunikasi dan Informatika", "kind": "DINAS", "parent": "PEMKO"}), 201).await;
    for (nip, name, kind, unit) in [
        (BIG, "Drs. Kepala Besar", json!({"kind": "JPT"}), "PEMKO"),
        (
            BOSS,
            "Ir. Kepala Bidang",
            json!({"kind": "ADMINISTRATOR"}),
            UNIT,
        ),
        (
            ME,
            "Cut Nyak Pegawai, S.Kom.",
            json!({"kind": "PELAKSANA"}),
            UNIT,
        ),
    ] {
        let body = json!({
            "nip": nip, "name": name, "golongan": "Penata, III/c", "employment": "PNS",
            "post": {"unit": unit, "position": "Jabatan uji", "kind": kind},
        });
        s.post(&admin, "/api/v1/officers", body, 201).await;
    }
    let from = format!("{year}-01-01");
    s.post(
        &admin,
        "/api/v1/units/PEMKO/head",
        json!({"nip": BIG, "effective_from": from}),
        200,
    )
    .await;
    s.post(
        &admin,
        &format!("/api/v1/officers/{ME}/appraisers"),
        json!({"penilai": BOSS, "atasan": BIG, "from": from}),
        200,
    )
    .await;
    let me = s.token(&["--officer", ME]);
    let boss = s.token(&["--officer", BOSS]);
    let auditor = s.token(&["--role", "auditor", "--name", "Inspektorat"]);
    let base = format!("/api/v1/officers/{ME}/plans/{year}");
    s.post(&me, &base, json!({"approach": "KUANTITATIF"}), 201)
        .await;
    let result = json!({
        "jenis": "UTAMA", "text": "Tersedianya layanan aplikasi", "superior_result": "Meningkatnya layanan digital",
        "indicators": [{"text": "Jumlah aplikasi yang dikembangkan", "aspek": "KUANTITAS",
                        "target": {"value": 4, "unit": "Aplikasi"}}],
    });
    s.post(&me, &format!("{base}/results"), result, 200).await;
    s.post(&me, &format!("{base}/submit"), json!({}), 200).await;
    (me, boss, auditor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_supervisors_auditors_and_the_public_use_the_web_interface() {
    let driver = Driver::start();
    let server = Server::start();
    let year = chrono::Utc::now().year();
    let (me, boss, auditor) = organisation(&server, year).await;
    let url = |p: &str| format!("{}{p}", server.base);

    // The root leads to the sign-in page, in Bahasa Indonesia; English is a choice.
    let sup = Browser::open(&driver).await;
    sup.goto(&url("/")).await;
    assert!(sup.current_path().await.starts_with("/ui/masuk"));
    assert_eq!(
        sup.script("return document.documentElement.lang").await,
        "id"
    );
    sup.shot("01-masuk").await;
    sup.goto(&url("/ui/masuk?lang=en")).await;
    assert_eq!(
        sup.script("return document.documentElement.lang").await,
        "en"
    );
    assert!(sup.text("h1").await.contains("Sign in"));
    sup.goto(&url("/ui/masuk?lang=id")).await;

    // A wrong token is refused with a message; the supervisor signs in and approves ME's SKP.
    sup.sign_in("knj_salah").await;
    assert!(sup.text("#pesan").await.contains("Token tidak dikenal"));
    sup.sign_in(&boss).await;
    assert!(sup.current_path().await.starts_with("/ui/atasan"));
    assert!(sup.text("#setujui").await.contains("Cut Nyak Pegawai"));
    sup.click_and_load("#setujui button[type=submit]").await;
    assert!(sup.text("#pesan").await.contains("SKP ditetapkan"));
    assert!(sup.text("#tim").await.contains("ditetapkan"));
    // The supervisor's page stays open and follows the live feed from here on.
    sup.wait_for("#langsung[data-live-ready]").await;
    sup.script("window.__noReload = 42; return ''").await;
    assert!(sup.text(&format!("#pegawai-{ME}")).await.contains("Belum"));

    // The officer signs in and files a realisation with an evidence link and its hash.
    let off = Browser::open(&driver).await;
    off.goto(&url("/ui/masuk")).await;
    off.sign_in(&me).await;
    assert!(off.current_path().await.starts_with("/ui/pegawai"));
    off.shot("02-pegawai").await;
    off.fill("#nilai", "3").await;
    off.fill(
        "#bukti",
        "https://files.lhokseumawekota.go.id/bukti/aplikasi.pdf",
    )
    .await;
    off.fill("#hash", &"ab".repeat(32)).await;
    off.fill("#catatan", "Tiga aplikasi layanan").await;
    off.click_and_load("#kirim-laporan").await;
    assert!(off.text("#pesan").await.contains("Realisasi tercatat"));
    let skp = off.text("#skp").await;
    assert!(skp.contains("3 Aplikasi") && skp.contains("75 %"), "{skp}");
    assert!(off.text("#riwayat").await.contains("ReportFiled"));
    off.shot("03-pegawai-lapor").await;

    // It appears on the supervisor's page without a reload.
    sup.wait_for(&format!("#pegawai-{ME} .tag.ok")).await;
    assert_eq!(sup.script("return String(window.__noReload)").await, "42");
    let evaluate = sup.text("#nilai").await;
    assert!(
        evaluate.contains("aplikasi.pdf") && evaluate.contains(&"ab".repeat(32)),
        "{evaluate}"
    );
    assert!(evaluate.contains("Saran penilaian"), "{evaluate}");
    sup.shot("04-atasan-langsung").await;

    // The supervisor evaluates: the predikat shows on the team line.
    sup.click_and_load(&format!("#nilai-kirim-{ME}")).await;
    assert!(sup.text("#pesan").await.contains("Penilaian tersimpan"));
    assert!(
        sup.text(&format!("#pegawai-{ME}"))
            .await
            .contains("Butuh Perbaikan")
    );
    sup.shot("05-atasan-dinilai").await;

    // Survey codes; one answer through the API, so the public IKM has a value to change.
    let issued = server
        .post(
            &server.admin,
            &format!("/api/v1/units/{UNIT}/survey-codes"),
            json!({"year": year, "period": "TW1", "service": "Layanan TIK", "count": 2}),
            201,
        )
        .await;
    let codes: Vec<String> = issued["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    server
        .post(
            "",
            "/api/v1/public/survey",
            json!({"code": codes[0], "answers": vec![4; 9]}),
            201,
        )
        .await;
    let public = Browser::open(&driver).await;
    let before = public.ikm_after(&url("/ui/publik"), UNIT, None).await;
    assert_eq!(before, "100.00");

    // A member of the public answers on a phone-sized screen with the second code.
    public.resize(360, 800).await;
    public
        .goto(&url(&format!("/ui/survei?kode={}", codes[1])))
        .await;
    assert_eq!(
        public
            .script("return String(document.documentElement.scrollWidth <= 360)")
            .await,
        "true"
    );
    for q in 1..=9 {
        public.click(&format!("#u{q}-2")).await;
    }
    public.shot("06-survei-ponsel").await;
    public.click_and_load("#kirim-survei").await;
    assert!(public.text("#pesan").await.contains("Terima kasih"));
    let after = public
        .ikm_after(&url("/ui/publik"), UNIT, Some(&before))
        .await;
    assert_ne!(after, before);
    public.resize(1280, 900).await;
    // The same code a second time is refused, with the API's message.
    public
        .goto(&url(&format!("/ui/survei?kode={}", codes[1])))
        .await;
    for q in 1..=9 {
        public.click(&format!("#u{q}-4")).await;
    }
    public.click_and_load("#kirim-survei").await;
    assert!(public.text("#pesan").await.contains("sudah digunakan"));
    let after_again = public.ikm_after(&url("/ui/publik"), UNIT, None).await;
    assert_eq!(after_again, after);
    public.wait_for("#kepala code.hash").await;
    public.shot("07-publik").await;

    // The auditor finds the officer, reads the timeline, slides back in time and verifies the head.
    sup.click_and_load("#keluar").await;
    let path = sup.current_path().await;
    assert!(
        path.starts_with("/ui/masuk"),
        "{path}: {}",
        sup.text("main").await
    );
    sup.sign_in(&auditor).await;
    assert!(sup.current_path().await.starts_with("/ui/auditor"));
    sup.fill("#q", "Cut Nyak").await;
    sup.click_and_load("#cari").await;
    sup.click_and_load(&format!("a[href='/ui/auditor?nip={ME}']"))
        .await;
    let timeline = sup.text("#timeline").await;
    for event in ["ReportFiled", "EvaluationRecorded", "PlanApproved"] {
        assert!(timeline.contains(event), "{event} missing in {timeline}");
    }
    assert!(timeline.contains(BOSS), "{timeline}");
    assert!(sup.text("#as-of").await.contains("3 Aplikasi"));
    sup.script("var r = document.getElementById('posisi'); r.value = r.min; return ''")
        .await;
    sup.click_and_load("#tampil-posisi").await;
    assert!(!sup.text("#as-of").await.contains("3 Aplikasi"));
    sup.click_and_load("#verifikasi").await;
    assert!(
        sup.text("#hasil-verifikasi")
            .await
            .contains("Terverifikasi")
    );
    sup.shot("08-auditor").await;

    // The leaders' dashboard (admin) draws its charts.
    let lead = Browser::open(&driver).await;
    lead.goto(&url("/ui/masuk")).await;
    lead.sign_in(&server.admin).await;
    assert!(lead.current_path().await.starts_with("/ui/pimpinan"));
    let charts = lead
        .script("return String(document.querySelectorAll('figure.chart svg').length)")
        .await;
    assert_eq!(charts, "6");
    assert!(
        lead.text("main")
            .await
            .contains("Pemerintah Kota Lhokseumawe")
    );
    lead.shot("09-pimpinan").await;

    for b in [sup, off, public, lead] {
        b.close().await;
    }
}
