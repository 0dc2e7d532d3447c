//! Labor: a person's ledger (on their profile), a design's contributors and shares, one entry's
//! explanation, and the published policy.

use ::api::{AccountLabor, Amount, ContributorList, DesignLabor, LaborEntry, LaborPolicy};
use leptos::prelude::*;

use crate::components::time::{Shown, Time};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api;
use crate::components::status::{ErrorView, Loading};
use crate::design::DesignContext;

fn units(x: f64) -> String {
    format!("{x:.2}")
}

/// Horizontal bars, widths relative to the largest amount.
#[component]
fn Bars(amounts: Vec<Amount>, #[prop(into)] label: String) -> impl IntoView {
    let max = amounts
        .iter()
        .map(|a| a.units)
        .fold(0.0_f64, f64::max)
        .max(0.0001);
    let caption = label.clone();
    view! {
        <figure class="bars" aria-label=label>
            <figcaption>{caption}</figcaption>
            <ul>
                {amounts.into_iter().map(|a| {
                    let percent = (a.units / max * 100.0).round() as u32;
                    view! {
                        <li>
                            <span class="bar-label">{a.key}</span>
                            <span class="bar-track"><span class=format!("bar-fill w{}", percent / 5 * 5)></span></span>
                            <span class="bar-value">{units(a.units)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </figure>
    }
}

/// The labor section of a profile.
#[component]
pub fn AccountLaborView(username: String) -> impl IntoView {
    let path = format!("/api/accounts/{}/labor?per_page=50", api::encode(&username));
    let csv = format!("/api/accounts/{}/labor?format=csv", api::encode(&username));
    let labor = LocalResource::new(move || api::get::<AccountLabor>(path.clone()));
    view! {
        <section class="labor-account" aria-labelledby="labor-heading">
            <h2 id="labor-heading">"Labor"</h2>
            <Suspense fallback=|| view! { <Loading what="labor"/> }>
                {move || {
                    let csv = csv.clone();
                    Suspend::new(async move {
                    match labor.await {
                        Ok(l) if l.entries.is_empty() => view! {
                            <p class="empty">"No credited work yet. Commits made with this account's emails are credited here."</p>
                        }.into_any(),
                        Ok(l) => view! {
                            <dl class="labor-totals">
                                <div><dt>"Units"</dt><dd>{units(l.units)}</dd></div>
                                <div><dt>"Hours"</dt><dd>{units(l.hours)}</dd></div>
                                <div><dt>"Validated"</dt><dd>{units(l.validated_units)}</dd></div>
                                <div><dt>"Pending"</dt><dd>{units(l.pending_units)}</dd></div>
                            </dl>
                            <div class="labor-charts">
                                <Bars amounts=l.timeline.clone() label="Units per month"/>
                                <Bars amounts=l.by_type.clone() label="Units by work type"/>
                                <Bars amounts=l.by_design.clone() label="Units by design"/>
                            </div>
                            <h3>"How this work is used"</h3>
                            <table class="utilization">
                                <thead><tr><th scope="col">"Design"</th><th scope="col" class="num">"Forks"</th><th scope="col" class="num">"Releases"</th><th scope="col" class="num">"Bundle downloads"</th></tr></thead>
                                <tbody>
                                    {l.utilization.into_iter().map(|u| view! {
                                        <tr><td><A href=format!("/{}", u.design)>{u.design.clone()}</A></td>
                                            <td class="num">{u.forks}</td><td class="num">{u.releases}</td><td class="num">{u.downloads}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <p><a href=csv download="">"Export as CSV"</a> " · " <A href="/labor/policy">"How units are counted"</A></p>
                            <EntriesTable entries=l.entries/>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}}
            </Suspense>
        </section>
    }
}

#[component]
fn EntriesTable(entries: Vec<LaborEntry>) -> impl IntoView {
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Labor entries">
            <table class="labor-entries">
                <thead><tr>
                    <th scope="col">"Date"</th><th scope="col">"Design"</th><th scope="col">"Work"</th>
                    <th scope="col" class="num">"Hours"</th><th scope="col" class="num">"Units"</th>
                    <th scope="col">"Status"</th><th scope="col">"Why"</th>
                </tr></thead>
                <tbody>
                    {entries.into_iter().map(|e| view! {
                        <tr>
                            <td><Time iso=e.committed_at.clone()/></td>
                            <td><A href=format!("/{}/commit/{}", e.design, e.commit)>{e.design.clone()}</A></td>
                            <td>{e.work_type.clone()}</td>
                            <td class="num">{units(e.hours)}{e.estimated.then_some(" (est.)")}</td>
                            <td class="num">{units(e.units)}</td>
                            <td><span class=format!("badge {}", if e.status == "validated" { "" } else { "muted" })>{e.status.clone()}</span></td>
                            <td><A href=format!("/labor/entries/{}", e.id)>"explain"</A></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The Contributors tab of a design.
#[component]
pub fn Contributors() -> impl IntoView {
    let design = DesignContext::get();
    let labor = LocalResource::new(move || api::get::<DesignLabor>(design.api("/labor")));
    // The commit authors: the people the Overview counts.
    let authors =
        LocalResource::new(move || api::get::<ContributorList>(design.api("/contributors")));
    view! {
        <div class="contributors">
            <h2>"Commit authors"</h2>
            <Suspense fallback=|| view! { <Loading what="commit authors"/> }>
                {move || Suspend::new(async move {
                    match authors.await {
                        Ok(list) if list.contributors.is_empty() => view! { <p class="empty">"No commits yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <p class="hint">{format!("{} {} made the commits of this design.", list.total, if list.total == 1 { "person" } else { "people" })}</p>
                            <ul class="authors">
                                {list.contributors.into_iter().map(|c| view! {
                                    <li>
                                        {match c.account.clone() {
                                            Some(a) => view! { <A href=format!("/@{a}")>{c.name.clone()}</A> }.into_any(),
                                            None => view! { <span>{c.name.clone()} " " <span class="badge muted">"unclaimed"</span></span> }.into_any(),
                                        }}
                                        {format!(" — {} commit{}", c.commits, if c.commits == 1 { "" } else { "s" })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
            <h2>"Credited work"</h2>
            <Suspense fallback=|| view! { <Loading what="contributors"/> }>
                {move || Suspend::new(async move {
                    match labor.await {
                        Ok(l) if l.contributors.is_empty() => view! { <p class="empty">"No credited work yet."</p> }.into_any(),
                        Ok(l) => view! {
                            <p class="hint">{format!("{} units of work in this design at {} (upstream history included). ", units(l.units), l.rev)}
                                <a href=design.api("/labor?format=csv") download="">"Export as CSV"</a></p>
                            <table class="shares">
                                <thead><tr><th scope="col">"Contributor"</th><th scope="col" class="num">"Hours"</th><th scope="col" class="num">"Units"</th><th scope="col" class="num">"Share"</th></tr></thead>
                                <tbody>
                                    {l.contributors.into_iter().map(|c| view! {
                                        <tr>
                                            <td>{match c.account.clone() {
                                                Some(a) => view! { <A href=format!("/@{a}")>{a.clone()}</A> }.into_any(),
                                                None => view! { <span>{c.contributor.clone()} " " <span class="badge muted">"unclaimed"</span></span> }.into_any(),
                                            }}</td>
                                            <td class="num">{units(c.hours)}</td>
                                            <td class="num">{units(c.units)}</td>
                                            <td class="num">{format!("{:.1} %", c.share)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

/// `/labor/entries/:id`: how one entry was computed.
#[component]
pub fn EntryPage() -> impl IntoView {
    crate::title::set("Labor entry");
    let params = use_params_map();
    let entry = LocalResource::new(move || {
        api::get::<LaborEntry>(format!(
            "/api/labor/entries/{}",
            api::encode(&params.read().get("id").unwrap_or_default())
        ))
    });
    view! {
        <section class="page labor-entry narrow">
            <h1>"Labor entry"</h1>
            <Suspense fallback=|| view! { <Loading what="the entry"/> }>
                {move || Suspend::new(async move {
                    match entry.await {
                        Ok(e) => view! {
                            <p class="lede">{format!("{} × {} × {} = {} units", units(e.hours), e.weight, e.multiplier, units(e.units))}</p>
                            <dl class="facts">
                                <dt>"Contributor"</dt><dd>{e.account.clone().map(|a| format!("@{a}")).unwrap_or_else(|| format!("{} (unclaimed)", e.contributor))}</dd>
                                <dt>"Commit"</dt><dd><A href=format!("/{}/commit/{}", e.design, e.commit)><code>{e.commit[..10].to_owned()}</code></A> " in " {e.design.clone()}</dd>
                                <dt>"Date"</dt><dd><Time iso=e.committed_at.clone() shown=Shown::DateTime/></dd>
                                <dt>"Work type"</dt><dd>{format!("{} (weight {})", e.work_type, e.weight)}</dd>
                                <dt>"Hours"</dt><dd>{format!("{}{}", units(e.hours), if e.estimated { ", estimated (none declared)" } else { "" })}</dd>
                                <dt>"Skill"</dt><dd>{format!("{} (× {})", e.skill, e.multiplier)}</dd>
                                <dt>"Status"</dt><dd>{e.status.clone()}</dd>
                                <dt>"Rule"</dt><dd>{e.rule.clone()}</dd>
                                <dt>"Policy"</dt><dd><A href="/labor/policy">{e.policy_version.clone()}</A></dd>
                            </dl>
                            {(!e.warnings.is_empty()).then(|| view! {
                                <div class="error" role="note"><p><strong>"Warnings"</strong></p>
                                    <ul>{e.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul></div>
                            })}
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// `/labor/policy`: the published policy.
#[component]
pub fn PolicyPage() -> impl IntoView {
    crate::title::set("Labor policy");
    let policy = LocalResource::new(|| api::get::<LaborPolicy>("/api/labor/policy"));
    view! {
        <section class="page labor-policy narrow">
            <h1>"Labor policy"</h1>
            <p class="lede">"Units = hours × work-type weight × skill multiplier. Anyone can recompute every account from the repositories and this policy."</p>
            <Suspense fallback=|| view! { <Loading what="the policy"/> }>
                {move || Suspend::new(async move {
                    match policy.await {
                        Ok(p) => view! {
                            <p>"Version " <code>{p.version.clone()}</code> ". A commit that declares no hours counts "
                                {p.default_hours} " h (estimated); at most " {p.max_hours_per_commit} " h count per commit."</p>
                            <h2>"Work types"</h2>
                            <table><thead><tr><th scope="col">"Type"</th><th scope="col" class="num">"Weight per hour"</th></tr></thead>
                                <tbody>{p.work_types.into_iter().map(|(k, v)| view! { <tr><td>{k}</td><td class="num">{v}</td></tr> }).collect_view()}</tbody></table>
                            <h2>"Skill levels"</h2>
                            <table><thead><tr><th scope="col">"Level"</th><th scope="col" class="num">"Multiplier"</th></tr></thead>
                                <tbody>{p.skill_levels.into_iter().map(|(k, v)| view! { <tr><td>{k}</td><td class="num">{v}</td></tr> }).collect_view()}</tbody></table>
                            <h2>"Inferring the work type"</h2>
                            <p>"Without a " <code>"Labor-Type"</code> " trailer, the type of most changed files decides; the BOM file counts as sourcing."</p>
                            <ul>{p.path_rules.into_iter().map(|(pattern, t)| view! { <li><code>{pattern}</code> " → " {t}</li> }).collect_view()}</ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
