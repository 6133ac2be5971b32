-- The `accountability` projection (disposable): the inspectorate's findings, and the documents
-- the fold keeps to recompute them (officers' appraiser assignments, SKPs, awards).
create table if not exists rm_finding (
    k text primary key,        -- {kind}/{subject}
    kind text not null,        -- see src/projections/accountability.rs
    nip text,
    unit text,
    position bigint not null, -- position of the event that raised it
    doc text not null
);
create index if not exists rm_finding_kind on rm_finding (kind, position);
create table if not exists rm_acc_officer (k text primary key, doc text not null);
create table if not exists rm_acc_plan (k text primary key, doc text not null);
create table if not exists rm_acc_award (k text primary key, doc text not null);
