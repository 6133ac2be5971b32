-- The `performance` projection (disposable; dropped and rebuilt when its version changes).
-- Every table: `k` the primary key, the columns queries filter on, `doc` the entity as JSON.
create table if not exists rm_unit (
    k text primary key,      -- unit code
    parent text,             -- parent unit code
    doc text not null
);
create table if not exists rm_officer (
    k text primary key,      -- NIP
    unit text,               -- current unit code
    doc text not null
);
create index if not exists rm_officer_unit on rm_officer (unit);
create table if not exists rm_plan (
    k text primary key,      -- skp-{nip}_{year}_{seq}
    nip text not null,
    year integer not null,
    unit text,               -- unit of the post the SKP is for
    status text not null,    -- DRAFT, SUBMITTED, APPROVED, CLOSED
    doc text not null
);
create index if not exists rm_plan_nip_year on rm_plan (nip, year);
create index if not exists rm_plan_unit_year on rm_plan (unit, year);
create table if not exists rm_award (
    k text primary key,      -- award id
    nip text not null,
    year integer not null,   -- year of the basis evaluation (else of the grant)
    doc text not null
);
create index if not exists rm_award_nip on rm_award (nip, year);
create table if not exists rm_programme (
    k text primary key,      -- programme id
    doc text not null
);
create table if not exists rm_completion (
    k text primary key,      -- {nip}/{year}/{programme id}
    nip text not null,
    year integer not null,   -- year of completion
    jp integer not null,     -- jam pelajaran credited
    doc text not null
);
create index if not exists rm_completion_nip on rm_completion (nip, year);
create index if not exists rm_completion_year on rm_completion (year);
