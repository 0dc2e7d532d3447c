//! The Customizer of an OpenSCAD file: its parameters as a form (sliders' ranges, lists,
//! checkboxes, text), grouped by tab; Render draws the model with the values chosen. The
//! server renders (`GET …/model/{rev}/{path}?params=`). The parameter sets in the file's set
//! file load into the form; the values shown download as an STL (`…/stl/…`) or are saved as a
//! set, a commit to the reader's design or fork (`POST …/parameter-sets`).

use ::api::{
    ApiError, Customizer, NewParameterSet, ParameterSet, SavedParameterSet, ScadParameter,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use serde_json::Value;

use crate::api;
use crate::auth::{Auth, sign_in_here};
use crate::components::field::Field;
use crate::components::status::{ErrorView, Loading};
use crate::components::viewer::ModelView;

#[component]
pub fn ScadCustomizer(
    #[prop(into)] design_api: String,
    #[prop(into)] rev: String,
    #[prop(into)] path: String,
) -> impl IntoView {
    let url = format!("{design_api}/customizer/{}/{path}", api::encode(&rev));
    let form = LocalResource::new(move || api::get::<Customizer>(url.clone()));
    let (design_api, rev, path) = (
        StoredValue::new(design_api),
        StoredValue::new(rev),
        StoredValue::new(path),
    );
    view! {
        <Suspense fallback=|| view! { <Loading what="the customizer"/> }>
            {move || Suspend::new(async move {
                match form.await {
                    Ok(customizer) if customizer.openscad.is_none() => view! {
                        <p class="empty">"This instance has no OpenSCAD, so this file is shown as text only."</p>
                    }.into_any(),
                    Ok(customizer) => view! {
                        <Form customizer design_api=design_api.get_value() rev=rev.get_value() path=path.get_value()/>
                    }.into_any(),
                    Err(error) => view! { <ErrorView error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A tab of the form: its name and its parameters with their fields.
type Group = (Option<String>, Vec<(ScadParameter, RwSignal<String>)>);

#[component]
fn Form(customizer: Customizer, design_api: String, rev: String, path: String) -> impl IntoView {
    let parameters = customizer.parameters;
    let sets = customizer.parameter_sets;
    let sets_problem = customizer.sets_problem;
    let commit = customizer.commit;
    // What each field holds now, as text (checkboxes: "true"/"false").
    let fields: Vec<RwSignal<String>> = parameters
        .iter()
        .map(|p| RwSignal::new(text_of(&p.default)))
        .collect();
    // The values last rendered (JSON), `None` for the file's defaults.
    let rendered = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let params = StoredValue::new(parameters.clone());
    let fields_at = StoredValue::new(fields.clone());
    let render = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let mut chosen = serde_json::Map::new();
        for (p, field) in params.get_value().iter().zip(fields_at.get_value()) {
            match value_of(p, &field.get_untracked()) {
                Ok(value) if value != p.default => {
                    chosen.insert(p.name.clone(), value);
                }
                Ok(_) => {}
                Err(message) => {
                    problem.set(Some(message));
                    return;
                }
            }
        }
        problem.set(None);
        rendered.set((!chosen.is_empty()).then(|| Value::Object(chosen).to_string()));
    };
    let reset = move |_| {
        for (p, field) in params.get_value().iter().zip(fields_at.get_value()) {
            field.set(text_of(&p.default));
        }
        problem.set(None);
        rendered.set(None);
    };
    // A set loads into the fields (what it leaves out takes the default) and renders.
    let stored_sets = StoredValue::new(sets.clone());
    let load_set = move |name: String| {
        let Some(set) =
            stored_sets.with_value(|sets| sets.iter().find(|s| s.name == name).cloned())
        else {
            return;
        };
        let mut chosen = serde_json::Map::new();
        for (p, field) in params.get_value().iter().zip(fields_at.get_value()) {
            let value = set
                .values
                .get(&p.name)
                .cloned()
                .unwrap_or_else(|| p.default.clone());
            field.set(text_of(&value));
            if value != p.default {
                chosen.insert(p.name.clone(), value);
            }
        }
        problem.set(None);
        rendered.set((!chosen.is_empty()).then(|| Value::Object(chosen).to_string()));
    };
    // Every field's value, as a set holds them.
    let current = Callback::new(
        move |()| -> Result<serde_json::Map<String, Value>, String> {
            params
                .get_value()
                .iter()
                .zip(fields_at.get_value())
                .map(|(p, field)| Ok((p.name.clone(), value_of(p, &field.get_untracked())?)))
                .collect()
        },
    );
    let mut groups: Vec<Group> = Vec::new();
    for (p, field) in parameters.into_iter().zip(fields) {
        match groups.last_mut() {
            Some((group, list)) if *group == p.group => list.push((p, field)),
            _ => groups.push((p.group.clone(), vec![(p, field)])),
        }
    }
    let stl_url = {
        let base = format!("{design_api}/stl/{commit}/{path}");
        move || match rendered.get() {
            Some(params) => format!("{base}?params={}", api::encode(&params)),
            None => base.clone(),
        }
    };
    let (design_api, rev, path) = (
        StoredValue::new(design_api),
        StoredValue::new(rev),
        StoredValue::new(path),
    );
    view! {
        <div class="customizer">
            {(!sets.is_empty()).then(|| view! { <SetPicker sets=sets.clone() on_pick=Callback::new(load_set)/> })}
            {sets_problem.map(|why| view! { <p class="muted">"The parameter sets could not be read: " {why}</p> })}
            {move || {
                let params = rendered.get();
                view! { <ModelView design_api=design_api.get_value() rev=rev.get_value() path=path.get_value() params=params/> }
            }}
            {(!groups.is_empty()).then(|| view! {
                <form class="customizer-form" on:submit=render aria-label="Customizer">
                    {groups.into_iter().map(|(group, list)| view! {
                        <fieldset>
                            <legend>{group.unwrap_or_else(|| "Parameters".into())}</legend>
                            {list.into_iter().map(|(p, field)| view! { <ParameterField parameter=p field/> }).collect_view()}
                        </fieldset>
                    }).collect_view()}
                    {move || problem.get().map(|message| view! { <p class="error" role="alert">{message}</p> })}
                    <div class="form-actions">
                        <button type="submit">"Render"</button>
                        <button type="button" class="secondary" on:click=reset>"Reset to defaults"</button>
                        <a class="button secondary" href=stl_url download="">"Download STL"</a>
                    </div>
                </form>
                <SaveSet design_api=design_api.get_value() path=path.get_value() current/>
            })}
        </div>
    }
}

/// The file's parameter sets: choosing one loads it.
#[component]
fn SetPicker(sets: Vec<ParameterSet>, on_pick: Callback<String>) -> impl IntoView {
    let chosen = RwSignal::new(String::new());
    view! {
        <div class="field customizer-sets">
            <label for="scad-set">"Parameter set"</label>
            <select id="scad-set" prop:value=move || chosen.get() on:change=move |e| {
                let name = event_target_value(&e);
                chosen.set(name.clone());
                if !name.is_empty() {
                    on_pick.run(name);
                }
            }>
                <option value="">"Choose a saved set…"</option>
                {sets.into_iter().map(|s| {
                    let label = s.name.clone();
                    view! { <option value=s.name>{label}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// Saves the values shown as a named set: a commit to the reader's design, or to their fork.
#[component]
fn SaveSet(
    design_api: String,
    path: String,
    current: Callback<(), Result<serde_json::Map<String, Value>, String>>,
) -> impl IntoView {
    let auth = Auth::get();
    let name = RwSignal::new(String::new());
    let hours = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(None::<SavedParameterSet>);
    let (design_api, path) = (StoredValue::new(design_api), StoredValue::new(path));
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        let values = match current.run(()) {
            Ok(values) => values,
            Err(why) => return error.set(Some(ApiError::new("invalid", why))),
        };
        let hours_text = hours.get_untracked().trim().replace(',', ".");
        let hours = if hours_text.is_empty() {
            None
        } else {
            match hours_text.parse::<f64>() {
                Ok(h) => Some(h),
                Err(_) => {
                    return error.set(Some(ApiError::new(
                        "invalid",
                        "Hours must be a number such as 2 or 1.5.",
                    )));
                }
            }
        };
        let body = NewParameterSet {
            path: path.get_value(),
            name: name.get_untracked(),
            values,
            message: None,
            hours,
        };
        busy.set(true);
        error.set(None);
        let url = format!("{}/parameter-sets", design_api.get_value());
        spawn_local(async move {
            match api::post::<_, SavedParameterSet>(&url, &body).await {
                Ok(done) => saved.set(Some(done)),
                Err(problem) => error.set(Some(problem)),
            }
            busy.set(false);
        });
    };
    view! {
        {move || match auth.username() {
            None => view! {
                <p class="muted"><a href=sign_in_here()>"Sign in"</a> " to save these values as a parameter set in your fork."</p>
            }.into_any(),
            Some(_) => view! {
                <form class="customizer-save" on:submit=submit aria-label="Save as a parameter set">
                    <Field name="name" label="Save these values as a parameter set named" value=name error/>
                    <Field name="hours" label="Hours of work (optional)" value=hours error
                        hint="Credited to you as design work, like any commit."/>
                    {move || error.get()
                        .filter(|e| e.error.fields.iter().all(|f| f.field != "name" && f.field != "hours"))
                        .map(|e| view! { <p class="error form-error" role="alert">{e.error.message}</p> })}
                    <div class="form-actions">
                        <button type="submit" disabled=move || busy.get()>
                            {move || if busy.get() { "Saving…" } else { "Save parameter set" }}
                        </button>
                    </div>
                    {move || saved.get().map(|done| {
                        let short = done.commit.id.chars().take(7).collect::<String>();
                        let design_page = format!("/{}", done.design);
                        let commit_page = format!("/{}/commit/{}", done.design, done.commit.id);
                        view! {
                            <p class="success" role="status">
                                "Saved in " {done.path.clone()} " on "
                                <A href=design_page>{done.design}</A>
                                {done.forked.then_some(" (a fork made for you)")}
                                ", commit "
                                <A href=commit_page>{short}</A> "."
                            </p>
                        }
                    })}
                </form>
            }.into_any(),
        }}
    }
}

#[component]
fn ParameterField(parameter: ScadParameter, field: RwSignal<String>) -> impl IntoView {
    let id = format!("scad-{}", parameter.name);
    let label = parameter.name.clone();
    let hint = parameter.description.clone();
    let hint_id = format!("{id}-hint");
    let described = hint.as_ref().map(|_| hint_id.clone());
    let input = match (parameter.widget.as_str(), &parameter.default) {
        (_, Value::Bool(_)) => view! {
            <input id=id.clone() type="checkbox" aria-describedby=described.clone()
                prop:checked=move || field.get() == "true"
                on:change=move |e| field.set(event_target_checked(&e).to_string())/>
        }.into_any(),
        ("choices", _) => {
            let choices = parameter.choices.clone();
            view! {
                <select id=id.clone() aria-describedby=described.clone()
                    on:change=move |e| field.set(event_target_value(&e))>
                    {choices.into_iter().map(|c| {
                        let value = text_of(&c.value);
                        let selected = value.clone();
                        view! { <option value=value selected=move || field.get() == selected>{c.label}</option> }
                    }).collect_view()}
                </select>
            }.into_any()
        }
        (_, Value::Number(_)) => view! {
            <input id=id.clone() type="number" inputmode="decimal" aria-describedby=described.clone()
                min=parameter.min.map(|v| v.to_string()) max=parameter.max.map(|v| v.to_string())
                step=parameter.step.map_or("any".to_owned(), |v| v.to_string())
                prop:value=move || field.get() on:input=move |e| field.set(event_target_value(&e))/>
        }.into_any(),
        _ => view! {
            <input id=id.clone() type="text" aria-describedby=described.clone()
                prop:value=move || field.get() on:input=move |e| field.set(event_target_value(&e))/>
        }.into_any(),
    };
    let range = match (parameter.min, parameter.max) {
        (Some(min), Some(max)) => Some(format!("{min} to {max}")),
        _ => None,
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {input}
            {match (hint, range) {
                (None, None) => None,
                (hint, range) => Some(view! {
                    <p class="muted hint" id=hint_id>
                        {hint.unwrap_or_default()}
                        {range.map(|r| format!(" ({r})"))}
                    </p>
                }),
            }}
        </div>
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// The field's text as a value of the parameter's kind, or a message naming the parameter.
fn value_of(p: &ScadParameter, text: &str) -> Result<Value, String> {
    let text = text.trim();
    match &p.default {
        Value::Bool(_) => Ok(Value::Bool(text == "true")),
        Value::Number(_) => {
            let n: f64 = text
                .parse()
                .map_err(|_| format!("{} must be a number", p.name))?;
            if let (Some(min), Some(max)) = (p.min, p.max)
                && (n < min || n > max)
            {
                return Err(format!("{} must be between {min} and {max}", p.name));
            }
            Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
        }
        Value::Array(_) => text
            .split(',')
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            })
            .collect::<Option<Vec<_>>>()
            .map(Value::Array)
            .ok_or_else(|| format!("{} must be numbers separated by commas", p.name)),
        _ => Ok(Value::String(text.to_owned())),
    }
}
