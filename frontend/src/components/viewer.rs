//! The 3D viewer of STL, OBJ and 3MF files. The server measures the model and prepares its
//! triangles (`GET …/model/{rev}/{path}`); the drawing is done by the viewer script (three.js,
//! `frontend/viewer/viewer.js`), which is loaded only when a model is shown. The controls are
//! buttons and keys on the view; without WebGL a text says so, with the measurements. A
//! changed model is shown side by side or overlaid (`GET …/model-diff/{base}...{head}/{path}`:
//! unchanged triangles see-through grey, added green, removed red).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ::api::{ApiError, Model, ModelDiff};
use js_sys::{Function, Promise, Reflect};
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::{Closure, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::api;
use crate::components::status::{ErrorView, Loading};
use crate::components::time::language;

/// Whether the viewer can show `path` (by its extension, any case).
pub fn is_model(path: &str) -> bool {
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    // STEP and IGES are meshed by the server when it has gmsh (else it says so).
    matches!(
        ext.as_str(),
        "stl" | "obj" | "3mf" | "scad" | "step" | "stp" | "iges" | "igs"
    )
}

/// A model at a revision, measured and drawn. `design_api` is `/api/designs/{owner}/{slug}`.
#[component]
pub fn ModelView(
    #[prop(into)] design_api: String,
    #[prop(into)] rev: String,
    #[prop(into)] path: String,
    /// The colour the model is drawn in: `model`, or `removed`/`added` beside a change.
    #[prop(default = "model")]
    tone: &'static str,
    /// An OpenSCAD file's parameter values, as JSON (`?params=`).
    #[prop(default = None)]
    params: Option<String>,
) -> impl IntoView {
    let query = params.map_or(String::new(), |p| format!("?params={}", api::encode(&p)));
    let url = format!("{design_api}/model/{}/{path}{query}", api::encode(&rev));
    // A 2D OpenSCAD design has no mesh: the server draws it as SVG instead.
    let drawing = format!("{design_api}/drawing/{}/{path}{query}", api::encode(&rev));
    let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
    let info = LocalResource::new(move || api::get::<Model>(url.clone()));
    view! {
        <Suspense fallback=|| view! { <Loading what="the model"/> }>
            {move || {
                let (drawing, name) = (drawing.clone(), name.clone());
                Suspend::new(async move {
                    match info.await {
                        Ok(model) => view! { <ModelDrawing model tone/> }.into_any(),
                        Err(error) if error.error.code == "scad_2d" => view! {
                            <figure class="drawing-view scad-drawing">
                                <img src=drawing alt=format!("2D drawing of {name}")/>
                                <figcaption class="muted">"A 2D design, drawn by OpenSCAD (sizes in mm)."</figcaption>
                            </figure>
                        }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Measurements, as one line: size, volume and triangles.
pub fn measurements(model: &Model) -> String {
    let [x, y, z] = model.bounds.size;
    let mut line = format!(
        "{x:.1} × {y:.1} × {z:.1} mm · {} · {} triangles",
        volume(model.volume_mm3),
        grouped(model.triangles)
    );
    if model.shown_triangles < model.triangles {
        line.push_str(&format!(
            " (drawn simplified, {})",
            grouped(model.shown_triangles)
        ));
    }
    line
}

pub fn volume(mm3: f64) -> String {
    if mm3.abs() >= 1000.0 {
        format!("{:.1} cm³", mm3 / 1000.0)
    } else {
        format!("{mm3:.0} mm³")
    }
}

fn grouped(n: u64) -> String {
    js_sys::Number::from(n as f64)
        .to_locale_string(&language())
        .into()
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Loading,
    Shown,
    NoWebgl,
    Failed(String),
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            Self::Loading => "loading",
            Self::Shown => "shown",
            Self::NoWebgl => "no-webgl",
            Self::Failed(_) => "failed",
        }
    }
}

/// The viewer object the script created, and whether the component has gone (then a viewer
/// that arrives late is disposed at once).
#[derive(Default)]
struct Slot {
    viewer: Option<JsValue>,
    gone: bool,
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// One mesh in a view: where its triangles are, its colour (`model`, `same`, `added`,
/// `removed`) and how opaque it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub url: String,
    pub tone: &'static str,
    pub opacity: f64,
}

/// A measured model, drawn.
#[component]
pub fn ModelDrawing(
    model: Model,
    #[prop(default = "model")] tone: &'static str,
    /// What to draw in place of the model's own mesh (an overlaid change's classes).
    #[prop(optional)]
    layers: Vec<Layer>,
    /// The view's name for screen readers, in place of the model's measurements.
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    let layers = if layers.is_empty() {
        vec![Layer {
            url: model.mesh_url.clone(),
            tone,
            opacity: 1.0,
        }]
    } else {
        layers
    };
    let drawn = RwSignal::new(0u64);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let state = RwSignal::new(State::Loading);
    let wireframe = RwSignal::new(false);
    let slot = SendWrapper::new(Rc::new(RefCell::new(Slot::default())));
    let keys_id = format!("model-keys-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let invoke = {
        let slot = slot.clone();
        move |method: &str, args: &[JsValue]| {
            if let Some(viewer) = slot.borrow().viewer.as_ref() {
                call(viewer, method, args);
            }
        }
    };
    let invoke = SendWrapper::new(Rc::new(invoke));
    {
        let slot = slot.clone();
        let layers = SendWrapper::new(layers);
        Effect::new(move |started: Option<bool>| {
            if started == Some(true) {
                return true;
            }
            let Some(element) = canvas.get() else {
                return false;
            };
            let (slot, layers) = (slot.clone(), layers.clone());
            let element: web_sys::HtmlCanvasElement = element.unchecked_into();
            leptos::task::spawn_local(async move {
                let (shown, triangles) = start(element, &layers, &slot).await;
                drawn.set(triangles);
                state.set(shown);
            });
            true
        });
    }
    {
        let slot = slot.clone();
        on_cleanup(move || {
            let mut slot = slot.borrow_mut();
            slot.gone = true;
            if let Some(viewer) = slot.viewer.take() {
                call(&viewer, "dispose", &[]);
            }
        });
    }
    let act = move |action: Action| match action {
        Action::Orbit(right, up) => invoke("orbit", &[right.into(), up.into()]),
        Action::Pan(right, up) => invoke("pan", &[right.into(), up.into()]),
        Action::Zoom(factor) => invoke("zoom", &[factor.into()]),
        Action::Reset => invoke("reset", &[]),
        Action::Wireframe => {
            let on = !wireframe.get_untracked();
            wireframe.set(on);
            invoke("wireframe", &[on.into()]);
        }
    };
    let act = SendWrapper::new(Rc::new(act));
    let on_key = {
        let act = act.clone();
        move |event: web_sys::KeyboardEvent| {
            if let Some(action) = Action::of_key(&event) {
                event.prevent_default();
                act(action);
            }
        }
    };
    let button = {
        let act = act.clone();
        move |action: Action| {
            let act = act.clone();
            move |_| act(action)
        }
    };
    let label = label.unwrap_or_else(|| {
        format!(
            "3D view of {}: {}",
            model.path.rsplit('/').next().unwrap_or(&model.path),
            measurements(&model)
        )
    });
    let caption = measurements(&model);
    view! {
        <figure class="model-view" data-state=move || state.get().name()
            data-triangles=move || (state.get() == State::Shown).then(|| drawn.get().to_string())>
            <div class="model-stage">
                <canvas node_ref=canvas tabindex="0" role="img" aria-label=label
                    aria-describedby=keys_id.clone() on:keydown=on_key></canvas>
                {move || match state.get() {
                    State::Loading => view! { <p class="model-note" role="status">"Drawing the model…"</p> }.into_any(),
                    State::Shown => ().into_any(),
                    State::NoWebgl => view! {
                        <p class="model-note">"This browser cannot draw 3D models (WebGL is off or missing). The measurements are below; download the file to open it in a CAD program or slicer."</p>
                    }.into_any(),
                    State::Failed(message) => view! {
                        <div class="model-note"><ErrorView error=ApiError::new("viewer", message)/></div>
                    }.into_any(),
                }}
            </div>
            <div class="model-tools" role="toolbar" aria-label="3D view controls">
                <button type="button" class="secondary" on:click=button(Action::Reset)>"Reset view"</button>
                <button type="button" class="secondary" aria-pressed=move || wireframe.get().to_string()
                    on:click=button(Action::Wireframe)>"Wireframe"</button>
                <button type="button" class="secondary" aria-label="Zoom in" on:click=button(Action::Zoom(0.8))>"+"</button>
                <button type="button" class="secondary" aria-label="Zoom out" on:click=button(Action::Zoom(1.25))>"−"</button>
            </div>
            <figcaption>{caption}</figcaption>
            <p class="muted model-keys" id=keys_id>
                "Drag to turn, right-drag to move, scroll to zoom. On the focused view: arrow keys turn, Shift + arrows move, + and − zoom, 0 resets, W shows the wireframe."
            </p>
        </figure>
    }
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Orbit(f64, f64),
    Pan(f64, f64),
    Zoom(f64),
    Reset,
    Wireframe,
}

impl Action {
    fn of_key(event: &web_sys::KeyboardEvent) -> Option<Self> {
        if event.ctrl_key() || event.meta_key() || event.alt_key() {
            return None;
        }
        let step = |right: f64, up: f64| {
            if event.shift_key() {
                Self::Pan(right * 0.05, up * 0.05)
            } else {
                Self::Orbit(right * 15.0, up * 15.0)
            }
        };
        Some(match event.key().as_str() {
            "ArrowLeft" => step(-1.0, 0.0),
            "ArrowRight" => step(1.0, 0.0),
            "ArrowUp" => step(0.0, 1.0),
            "ArrowDown" => step(0.0, -1.0),
            "+" | "=" => Self::Zoom(0.8),
            "-" | "_" => Self::Zoom(1.25),
            "0" | "Home" => Self::Reset,
            "w" | "W" => Self::Wireframe,
            _ => return None,
        })
    }
}

/// Loads the script if needed, creates the viewer on `canvas` and draws the layers: the
/// state reached and the triangles drawn.
async fn start(
    canvas: web_sys::HtmlCanvasElement,
    layers: &[Layer],
    slot: &Rc<RefCell<Slot>>,
) -> (State, u64) {
    let module = match viewer_script().await {
        Ok(module) => module,
        Err(message) => return (State::Failed(message), 0),
    };
    let Ok(create) = Reflect::get(&module, &"create".into()).and_then(|f| f.dyn_into::<Function>())
    else {
        let message = "The 3D viewer script is not the expected one.";
        return (State::Failed(message.into()), 0);
    };
    let Ok(viewer) = create.call1(&JsValue::NULL, &canvas) else {
        return (State::NoWebgl, 0);
    };
    {
        let mut slot = slot.borrow_mut();
        if slot.gone {
            call(&viewer, "dispose", &[]);
            return (State::Loading, 0);
        }
        slot.viewer = Some(viewer.clone());
    }
    let mut triangles = 0;
    for layer in layers {
        let args = [
            layer.url.as_str().into(),
            layer.tone.into(),
            layer.opacity.into(),
        ];
        let added = call(&viewer, "add", &args).and_then(|p| p.dyn_into::<Promise>().ok());
        let Some(added) = added else {
            return (State::Failed("The 3D viewer could not start.".into()), 0);
        };
        match JsFuture::from(added).await {
            Ok(count) => triangles += count.as_f64().unwrap_or_default() as u64,
            Err(err) => {
                let message = format!("The model could not be drawn ({}).", js_message(&err));
                return (State::Failed(message), 0);
            }
        }
    }
    (State::Shown, triangles)
}

/// Calls `object.method(...args)`; `None` if it is missing or threw.
fn call(object: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let function = Reflect::get(object, &method.into())
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    function
        .apply(object, &args.iter().collect::<js_sys::Array>())
        .ok()
}

fn js_message(err: &JsValue) -> String {
    Reflect::get(err, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{err:?}"))
}

/// `window.atelierViewer`, after adding the viewer script (named by `index.html`'s
/// `<meta name="atelier-viewer">`) to the page the first time.
async fn viewer_script() -> Result<JsValue, String> {
    const ID: &str = "atelier-viewer-script";
    let window = web_sys::window().ok_or("no window")?;
    let published = || {
        Reflect::get(&window, &"atelierViewer".into())
            .ok()
            .filter(|v| !v.is_undefined())
    };
    if let Some(module) = published() {
        return Ok(module);
    }
    let failed = || "The 3D viewer could not be loaded; reload the page to try again.".to_owned();
    let document = window.document().ok_or("no document")?;
    let script = match document.get_element_by_id(ID) {
        Some(script) if script.has_attribute("data-failed") => return Err(failed()),
        Some(script) => script,
        None => {
            let src = document
                .query_selector("meta[name=atelier-viewer]")
                .ok()
                .flatten()
                .and_then(|meta| meta.get_attribute("content"))
                .ok_or("This page names no 3D viewer script.")?;
            let script = document.create_element("script").map_err(|_| failed())?;
            let _ = script.set_attribute("type", "module");
            let _ = script.set_attribute("src", &src);
            script.set_id(ID);
            document
                .head()
                .ok_or("no document head")?
                .append_child(&script)
                .map_err(|_| failed())?;
            script
        }
    };
    let loaded = Promise::new(&mut |resolve, reject| {
        let on_load = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let marked = script.clone();
        let on_error = Closure::once_into_js(move || {
            let _ = marked.set_attribute("data-failed", "");
            let _ = reject.call0(&JsValue::NULL);
        });
        let _ = script.add_event_listener_with_callback("load", on_load.unchecked_ref());
        let _ = script.add_event_listener_with_callback("error", on_error.unchecked_ref());
    });
    JsFuture::from(loaded).await.map_err(|_| failed())?;
    published().ok_or_else(failed)
}

/// A changed model on a commit or compare page: before and after side by side, and how its
/// size and volume changed. `old` and `new` are the revisions either side of the change.
#[component]
pub fn ModelChange(
    #[prop(into)] before: Option<String>,
    #[prop(into)] after: Option<String>,
    #[prop(into)] old: String,
    #[prop(into)] new: String,
    /// Drawn at once (else behind a button: each view is a WebGL context, and browsers keep
    /// only a few).
    open: bool,
) -> impl IntoView {
    let design = crate::design::DesignContext::get();
    let shown = RwSignal::new(open);
    let fetch = move |rev: String, path: Option<String>| {
        let url = path.map(|p| design.api(&format!("/model/{}/{p}", api::encode(&rev))));
        LocalResource::new(move || {
            let url = url.clone();
            async move {
                match url {
                    Some(url) => api::get::<Model>(url).await.map(Some),
                    None => Ok(None),
                }
            }
        })
    };
    view! {
        <div class="model-change">
            <Show when=move || shown.get() fallback=move || view! {
                <p><button type="button" class="secondary" on:click=move |_| shown.set(true)>"Compare the 3D models"</button></p>
            }>
                {
                    let (before_path, after_path) = (before.clone(), after.clone());
                    // A 2D OpenSCAD design is compared as two drawings.
                    let drawing = move |rev: &str, path: &Option<String>| {
                        path.as_ref().map(|p| design.api(&format!("/drawing/{}/{p}", api::encode(rev))))
                    };
                    let drawings = (drawing(&old, &before_path), drawing(&new, &after_path));
                    let before = fetch(old.clone(), before_path);
                    let after = fetch(new.clone(), after_path);
                    view! {
                        <Suspense fallback=|| view! { <Loading what="the models"/> }>
                            {move || {
                                let drawings = drawings.clone();
                                Suspend::new(async move {
                                    match (before.await, after.await) {
                                        (Ok(before), Ok(after)) => view! { <Pair before after/> }.into_any(),
                                        (Err(error), _) | (_, Err(error)) if error.error.code == "scad_2d" => {
                                            view! { <DrawingPair before=drawings.0 after=drawings.1/> }.into_any()
                                        }
                                        (Err(error), _) | (_, Err(error)) => view! { <ErrorView error/> }.into_any(),
                                    }
                                })
                            }}
                        </Suspense>
                    }
                }
            </Show>
        </div>
    }
}

/// A 2D design's drawings before and after a change (the server's SVGs).
#[component]
fn DrawingPair(before: Option<String>, after: Option<String>) -> impl IntoView {
    let side = |url: Option<String>, heading: &'static str, none: &'static str| {
        view! {
            <div class="model-side drawing-view scad-drawing"><h4>{heading}</h4>
                {match url {
                    Some(src) => view! { <img src=src alt=format!("2D drawing {}", heading.to_lowercase())/> }.into_any(),
                    None => view! { <p class="empty">{none}</p> }.into_any(),
                }}
            </div>
        }
    };
    view! {
        <div class="model-pair drawing-pair">
            {side(before, "Before", "Not there before this change.")}
            {side(after, "After", "Deleted by this change.")}
        </div>
    }
}

#[component]
fn Pair(before: Option<Model>, after: Option<Model>) -> impl IntoView {
    let size = |m: &Option<Model>| {
        m.as_ref().map_or("—".to_owned(), |m| {
            let [x, y, z] = m.bounds.size;
            format!("{x:.1} × {y:.1} × {z:.1} mm")
        })
    };
    let size_change = match (&before, &after) {
        (Some(b), Some(a)) => {
            let d: Vec<String> = (0..3)
                .map(|i| signed(f64::from(a.bounds.size[i] - b.bounds.size[i]), 1))
                .collect();
            format!("{} mm", d.join(" × "))
        }
        _ => "—".to_owned(),
    };
    let volume_of =
        |m: &Option<Model>| m.as_ref().map_or("—".to_owned(), |m| volume(m.volume_mm3));
    let volume_change = match (&before, &after) {
        (Some(b), Some(a)) => {
            let d = a.volume_mm3 - b.volume_mm3;
            let share = if b.volume_mm3.abs() > f64::EPSILON {
                format!(" ({}%)", signed(d / b.volume_mm3 * 100.0, 1))
            } else {
                String::new()
            };
            format!("{}{share}", volume_signed(d))
        }
        _ => "—".to_owned(),
    };
    let triangles =
        |m: &Option<Model>| m.as_ref().map_or("—".to_owned(), |m| grouped(m.triangles));
    let cells = [
        [size(&before), size(&after), size_change],
        [volume_of(&before), volume_of(&after), volume_change],
        [triangles(&before), triangles(&after), String::new()],
    ];
    let [
        [size_before, size_after, size_change],
        [volume_before, volume_after, volume_change],
        [triangles_before, triangles_after, _],
    ] = cells;
    let overlay = RwSignal::new(false);
    let both = before.is_some() && after.is_some();
    let sides = (before.clone(), after.clone());
    let side_by_side = move || {
        let (before, after) = sides.clone();
        view! {
            <div class="model-pair">
                <div class="model-side"><h4>"Before"</h4>
                    {match before {
                        Some(model) => view! { <ModelDrawing model/> }.into_any(),
                        None => view! { <p class="empty">"Not there before this change."</p> }.into_any(),
                    }}
                </div>
                <div class="model-side"><h4>"After"</h4>
                    {match after {
                        Some(model) => view! { <ModelDrawing model/> }.into_any(),
                        None => view! { <p class="empty">"Deleted by this change."</p> }.into_any(),
                    }}
                </div>
            </div>
        }
    };
    let shown = {
        move || match (overlay.get(), before.clone(), after.clone()) {
            (true, Some(before), Some(after)) => view! { <Overlay before after/> }.into_any(),
            _ => side_by_side().into_any(),
        }
    };
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="How the model changed">
            <table class="model-delta">
                <thead><tr><th scope="col"></th><th scope="col">"Before"</th><th scope="col">"After"</th><th scope="col">"Change"</th></tr></thead>
                <tbody>
                    <tr><th scope="row">"Size"</th><td>{size_before}</td><td>{size_after}</td><td class="delta-size">{size_change}</td></tr>
                    <tr><th scope="row">"Volume"</th><td>{volume_before}</td><td>{volume_after}</td><td class="delta-volume">{volume_change}</td></tr>
                    <tr><th scope="row">"Triangles"</th><td>{triangles_before}</td><td>{triangles_after}</td><td></td></tr>
                </tbody>
            </table>
        </div>
        {both.then(|| view! {
            <div class="model-modes" role="group" aria-label="How to show the two versions">
                <button type="button" class="secondary" aria-pressed=move || (!overlay.get()).to_string()
                    on:click=move |_| overlay.set(false)>"Side by side"</button>
                <button type="button" class="secondary" aria-pressed=move || overlay.get().to_string()
                    on:click=move |_| overlay.set(true)>"Overlay"</button>
            </div>
        })}
        {shown}
    }
}

/// Both versions in one view, sorted by the server into unchanged, added and removed
/// triangles, with a legend of the colours.
#[component]
fn Overlay(before: Model, after: Model) -> impl IntoView {
    let design = crate::design::DesignContext::get();
    let renamed = if before.path == after.path {
        String::new()
    } else {
        format!("?base_path={}", api::encode(&before.path))
    };
    let url = design.api(&format!(
        "/model-diff/{}...{}/{}{renamed}",
        before.commit, after.commit, after.path
    ));
    let diff = LocalResource::new(move || api::get::<ModelDiff>(url.clone()));
    view! {
        <Suspense fallback=|| view! { <Loading what="the overlay"/> }>
            {move || {
                let after = after.clone();
                Suspend::new(async move {
                    match diff.await {
                        Ok(diff) => view! { <OverlayDrawing diff model=after/> }.into_any(),
                        Err(error) => view! { <ErrorView error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn OverlayDrawing(diff: ModelDiff, model: Model) -> impl IntoView {
    let layers: Vec<Layer> = [
        (&diff.same_url, diff.same_triangles, "same", 0.35),
        (&diff.removed_url, diff.removed_triangles, "removed", 1.0),
        (&diff.added_url, diff.added_triangles, "added", 1.0),
    ]
    .into_iter()
    .filter(|(_, count, _, _)| *count > 0)
    .map(|(url, _, tone, opacity)| Layer {
        url: url.clone(),
        tone,
        opacity,
    })
    .collect();
    let label = format!(
        "3D overlay of {}: {} unchanged, {} added and {} removed triangles",
        model.path.rsplit('/').next().unwrap_or(&model.path),
        grouped(diff.same_triangles),
        grouped(diff.added_triangles),
        grouped(diff.removed_triangles),
    );
    view! {
        <div class="model-overlay">
            <ul class="overlay-legend" aria-label="Colours of the overlay">
                <li class="legend-same"><span class="swatch" aria-hidden="true"></span>
                    "Unchanged (grey, see-through): " {grouped(diff.same_triangles)} " triangles"</li>
                <li class="legend-added"><span class="swatch" aria-hidden="true"></span>
                    "Added (green): " {grouped(diff.added_triangles)}</li>
                <li class="legend-removed"><span class="swatch" aria-hidden="true"></span>
                    "Removed (red): " {grouped(diff.removed_triangles)}</li>
            </ul>
            {diff.simplified.then(|| view! {
                <p class="muted">"A version was simplified for display before it was compared, so small changes may not show."</p>
            })}
            <ModelDrawing model layers label/>
        </div>
    }
}

/// `value` with its sign (`+1.5`, `−0.3`, `0.0`) and `decimals` digits.
fn signed(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let zero = text.trim_start_matches(['0', '.']).is_empty();
    match () {
        _ if zero => text,
        _ if value > 0.0 => format!("+{text}"),
        _ => format!("−{text}"),
    }
}

fn volume_signed(mm3: f64) -> String {
    let text = volume(mm3.abs());
    match () {
        _ if text.trim_start_matches(['0', '.']).starts_with(' ') => text,
        _ if mm3 > 0.0 => format!("+{text}"),
        _ => format!("−{text}"),
    }
}
