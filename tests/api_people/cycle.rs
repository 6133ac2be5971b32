//! The whole performance cycle, as a new user walks it: registration, SKP, reports, evaluation
//! and predikat, an award on that basis, the public survey with a code, an auditor reading it all.

use chrono::Datelike;
use serde_json::json;

use crate::fixture::{BOSS, Env, ME, UNIT};

pub async fn a_whole_officer_cycle_from_registration_to_predikat(env: Env) {
    let w = env.world().await;
    let y = w.year;
    let base = format!("/officers/{ME}/plans/{y}");

    // The officer reads their own record: post, appraisers.
    let me = env.get(&format!("/officers/{ME}"), &w.me).await;
    me.expect(200);
    assert_eq!(me.body["post"]["unit"], UNIT);
    assert_eq!(me.body["appraisers_today"]["penilai"]["nip"], BOSS);
    assert_eq!(me.body["status"], "AKTIF");

    // Draft, plan, submit; the appraiser sets an expectation and approves.
    let drafted = env
        .post(&base, &w.me, json!({"approach": "KUANTITATIF"}))
        .await;
    drafted.expect(201);
    assert_eq!(drafted.body["events"], json!(["PlanDrafted"]));
    assert_eq!(drafted.body["stream_id"], format!("skp-{ME}_{y}_1"));
    let indicator = uuid::Uuid::now_v7().to_string();
    let result = json!({
        "jenis": "UTAMA",
        "text": "Tersedianya layanan aplikasi",
        "superior_result": "Meningkatnya layanan digital",
        "indicators": [{"id": indicator, "text": "Jumlah aplikasi", "aspek": "KUANTITAS",
                        "target": {"value": 4, "unit": "Aplikasi"}}],
    });
    env.post(&format!("{base}/results"), &w.me, result)
        .await
        .expect(200);
    env.post(&format!("{base}/submit"), &w.me, json!({}))
        .await
        .expect(200);
    env.post(
        &format!("{base}/behaviour-expectations"),
        &w.boss,
        json!({"value": "AKUNTABEL", "expectation": "Laporan tepat waktu"}),
    )
    .await
    .expect(200);
    let approved = env
        .post(&format!("{base}/approve"), &w.boss, json!({}))
        .await;
    approved.expect(200);
    assert_eq!(approved.body["events"], json!(["PlanApproved"]));

    // Quarterly realisations with evidence (value as a number or as "1,5" text).
    for (period, value) in [
        ("TW1", json!(1)),
        ("TW2", json!("2")),
        ("TW3", json!(3.5)),
        ("TW4", json!("4,0")),
    ] {
        env.post(
            &format!("{base}/reports"),
            &w.me,
            Env::report(&indicator, period, value),
        )
        .await
        .expect(200);
    }
    // Feedback and a dialogue.
    env.post(
        &format!("{base}/feedback"),
        &w.boss,
        json!({"about": {"kind": "INDICATOR", "ref": indicator}, "period": "TW1", "text": "Bagus, lanjutkan."}),
    )
    .await
    .expect(200);
    env.post(
        &format!("{base}/dialogues"),
        &w.me,
        json!({"held_on": format!("{y}-04-02"), "participants": [ME, BOSS], "summary": "Dialog kinerja TW I"}),
    )
    .await
    .expect(200);

    // The appraiser evaluates TW1 (DI_ATAS twice: SANGAT_BAIK) and the year (R2).
    let plan = env.get(&base, &w.me).await;
    let result_id = plan.body["results"][0]["id"].as_str().unwrap().to_string();
    env.post(
        &format!("{base}/evaluations"),
        &w.boss,
        json!({"period": "TW1", "hasil_kerja": "DI_ATAS", "perilaku": "DI_ATAS",
               "result_ratings": [{"result_id": result_id, "rating": "DI_ATAS"}],
               "behaviour_feedback": [{"value": "AKUNTABEL", "text": "Sangat akuntabel"}]}),
    )
    .await
    .expect(200);
    env.post(
        &format!("{base}/evaluations"),
        &w.boss,
        json!({"period": "TAHUNAN", "hasil_kerja": "SESUAI", "perilaku": "DI_BAWAH"}),
    )
    .await
    .expect(200);

    let plan = env.get(&base, &w.me).await;
    plan.expect(200);
    let b = &plan.body;
    assert_eq!(b["status"], "APPROVED");
    assert_eq!(b["reports"].as_array().unwrap().len(), 4);
    let ind = &b["results"][0]["indicators"][0];
    assert_eq!(ind["realisation"]["TW3"]["value"], 3500);
    assert_eq!(ind["realisation"]["TAHUNAN"]["value"], 4000);
    assert_eq!(b["feedback"].as_array().unwrap().len(), 1);
    assert_eq!(b["dialogues"].as_array().unwrap().len(), 1);
    let evals = b["evaluations"].as_array().unwrap();
    let tw1 = evals.iter().find(|e| e["period"] == "TW1").unwrap();
    assert_eq!(tw1["predikat"], "SANGAT_BAIK");
    assert_eq!(tw1["suggested_hasil_kerja"], "DI_ATAS");
    let annual = evals.iter().find(|e| e["period"] == "TAHUNAN").unwrap();
    assert_eq!(annual["predikat"], "KURANG_MISCONDUCT");
    assert_eq!(plan.etag(), format!("\"{}\"", b["revision"]));

    // The unit's employee predikat for TW1: the organisation predikat first (R7, head of
    // PEMKO), then the finalisation (R5) by admin, with a justification if the pattern asks.
    env.post(
        &format!("/units/{UNIT}/organisation-predikat"),
        &w.big,
        json!({"year": y, "period": "TW1", "predikat": "BAIK", "decree_ref": "800/12/2025"}),
    )
    .await
    .expect(200);
    let path = format!("/units/{UNIT}/predikat-finalisation");
    let first = env
        .post(&path, &w.admin, json!({"year": y, "period": "TW1"}))
        .await;
    if first.status.as_u16() == 422 {
        assert_eq!(
            first.code(),
            "DISTRIBUTION_JUSTIFICATION_REQUIRED",
            "{}",
            first.body
        );
        env.post(
            &path,
            &w.admin,
            json!({"year": y, "period": "TW1", "justification": "Unit kecil, satu pegawai dinilai"}),
        )
        .await
        .expect(200);
    } else {
        first.expect(200);
    }
    let unit = env.get(&format!("/units/{UNIT}"), &w.admin).await;
    assert_eq!(
        unit.body["finalised"],
        json!([{"year": y, "period": "TW1"}])
    );
    // An approved SKP of the unit without a TW2 evaluation blocks the TW2 finalisation; the
    // unit's head is not BIG (PEMKO's), so BIG may not finalise DISKOMINFO at all.
    let tw2 = env
        .post(&path, &w.admin, json!({"year": y, "period": "TW2"}))
        .await;
    tw2.problem(422, "EVALUATIONS_INCOMPLETE");
    assert_eq!(tw2.body["missing"], json!([{"nip": ME, "seq": 1}]));
    env.post(&path, &w.big, json!({"year": y, "period": "TW2"}))
        .await
        .problem(403, "FORBIDDEN");

    // Admin grants an award on the TW1 evaluation. The realisation (1) is below the target (4),
    // so "exceeded the target" is refused without an override, and recorded with one.
    let award = json!({"nip": ME, "kind": "PRIORITAS_BANGKOM", "ground": "MELAMPAUI_TARGET",
                       "basis": [{"year": y, "period": "TW1"}]});
    let head = env.head().await;
    let refused = env.post("/awards", &w.admin, award.clone()).await;
    refused.problem(422, "AWARD_BASIS_INSUFFICIENT");
    assert_eq!(env.head().await, head, "a refused award appends nothing");
    let mut with_override = award.clone();
    with_override["override_reason"] = json!("Inovasi layanan diakui Wali Kota");
    let granted = env.post("/awards", &w.admin, with_override).await;
    granted.expect(201);
    let award_id = granted.body["award_id"].as_str().unwrap().to_string();
    let shown = env.get(&format!("/awards/{award_id}"), &w.me).await;
    shown.expect(200);
    assert_eq!(shown.body["overridden"], true);

    // The public answers the survey with a one-time code handed out with the service.
    let codes = env
        .post(
            &format!("/units/{UNIT}/survey-codes"),
            &w.admin,
            json!({"year": y, "period": "TW1", "service": "Layanan aplikasi", "count": 2}),
        )
        .await;
    codes.expect(201);
    let code = codes.body["codes"][0].as_str().unwrap().to_string();
    let answer = json!({"code": code, "answers": [4, 4, 3, 4, 4, 3, 4, 4, 4]});
    let answered = env.public_post("/public/survey", answer.clone()).await;
    assert!(answered.status.is_success(), "{}", answered.body);
    env.public_post("/public/survey", answer)
        .await
        .problem(422, "SURVEY_CODE_USED");

    // An auditor reads every stream with its envelope, and writes nothing.
    let auditor = env
        .token(kinerja::domain::access::Subject::Staff {
            role: kinerja::domain::access::StaffRole::Auditor,
            name: "Inspektorat".into(),
        })
        .await;
    let skp = env.get(&format!("/streams/skp-{ME}_{y}_1"), &auditor).await;
    skp.expect(200);
    let events = skp.body["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["event_type"] == "EvaluationRecorded")
    );
    assert!(
        events
            .iter()
            .all(|e| e["hash"].as_str().unwrap().len() == 64)
    );
    assert_eq!(events[0]["metadata"]["actor"], ME);
    let award_stream = env
        .get(&format!("/streams/award-{award_id}"), &auditor)
        .await;
    award_stream.expect(200);
    assert_eq!(award_stream.body["events"][0]["event_type"], "AwardGranted");
    env.post(&format!("{base}/approve"), &auditor, json!({}))
        .await
        .problem(403, "READ_ONLY");
    env.get(&format!("/streams/skp-{ME}_{y}_1"), &w.me)
        .await
        .problem(403, "FORBIDDEN");
}

pub async fn a_transfer_closes_the_current_plan(env: Env) {
    let w = env.world().await;
    let y = chrono::Utc::now().year();
    env.approved_plan(&w, y).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let t = env
        .post(
            &format!("/officers/{ME}/transfer"),
            &w.admin,
            json!({"post": {"unit": "PEMKO", "position": "Analis", "kind": {"kind": "PELAKSANA"}}, "effective": today}),
        )
        .await;
    t.expect(200);
    assert_eq!(t.body["events"], json!(["OfficerTransferred"]));
    assert_eq!(t.body["closed_plan"]["events"], json!(["PlanClosed"]));
    let old = env
        .get(&format!("/officers/{ME}/plans/{y}?seq=1"), &w.me)
        .await;
    old.expect(200);
    assert_eq!(old.body["status"], "CLOSED");
    // The new post's SKP is seq 2 and not drafted yet.
    env.get(&format!("/officers/{ME}/plans/{y}"), &w.me)
        .await
        .problem(404, "NOT_FOUND");
    let drafted = env
        .post(
            &format!("/officers/{ME}/plans/{y}"),
            &w.me,
            json!({"approach": "KUANTITATIF"}),
        )
        .await;
    drafted.expect(201);
    assert_eq!(drafted.body["stream_id"], format!("skp-{ME}_{y}_2"));
    let officer = env.get(&format!("/officers/{ME}"), &w.admin).await;
    assert_eq!(officer.body["post"]["unit"], "PEMKO");
}

pub async fn an_objection_is_decided_by_the_atasan(env: Env) {
    let w = env.world().await;
    let y = w.year;
    env.approved_plan(&w, y).await;
    let base = format!("/officers/{ME}/plans/{y}");
    env.post(
        &format!("{base}/evaluations"),
        &w.boss,
        json!({"period": "TW2", "hasil_kerja": "DI_BAWAH", "perilaku": "SESUAI"}),
    )
    .await
    .expect(200);
    env.post(
        &format!("{base}/objections"),
        &w.me,
        json!({"period": "TW2", "reason": "Realisasi saya sudah sesuai target"}),
    )
    .await
    .expect(200);
    env.post(
        &format!("{base}/objections/TW2/decide"),
        &w.big,
        json!({"decision": "UPHELD_CHANGED", "hasil_kerja": "SESUAI", "perilaku": "SESUAI", "reason": "Bukti mendukung"}),
    )
    .await
    .expect(200);
    let plan = env.get(&base, &w.big).await;
    let ev = &plan.body["evaluations"][0];
    assert_eq!(ev["predikat"], "BAIK");
    assert_eq!(ev["objection"], "DECIDED");
    assert_eq!(
        plan.body["objections"][0]["decision"]["outcome"]["outcome"],
        "UPHELD_CHANGED"
    );
    // Final: a second decision or an amendment is refused.
    env.post(
        &format!("{base}/evaluations/TW2/amend"),
        &w.boss,
        json!({"hasil_kerja": "DI_ATAS", "perilaku": "SESUAI", "reason": "x"}),
    )
    .await
    .problem(422, "OBJECTION_FINAL");
}
