// Atelier's 3D viewer: draws the triangles the server prepared for a model (little-endian
// floats, nine per triangle: GET /api/designs/{owner}/{slug}/mesh/{rev}/{path}) with three.js.
// Only pages that show a model load it (the app adds it as a module script); it publishes
// `window.atelierViewer.create(canvas)`. The app owns the controls and their state and calls
// the methods of the viewer this returns; drawing happens only when something changed.
import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";

const UP = new THREE.Vector3(0, 0, 1); // CAD files are z-up
const COLORS = { model: 0x8da2b5, added: 0x2da44e, removed: 0xcf222e, same: 0xa8b1ba };

function create(canvas) {
  // Throws when the browser has no WebGL: the app then shows its text fallback.
  const renderer = new THREE.WebGLRenderer({
    canvas,
    antialias: true,
    alpha: true,
    preserveDrawingBuffer: true, // the pixels stay readable (tests, screenshots)
  });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  const scene = new THREE.Scene();
  const camera = new THREE.PerspectiveCamera(35, 1, 0.1, 1000);
  camera.up.copy(UP);
  scene.add(camera);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x555566, 2.2));
  const sun = new THREE.DirectionalLight(0xffffff, 1.6);
  sun.position.set(1, 1.5, 2);
  camera.add(sun); // the light follows the view, so the side one looks at is lit
  const controls = new OrbitControls(camera, canvas);
  controls.enableDamping = false;
  const meshes = [];
  let home = null; // [position, target] of the fitted view
  let frame = 0;
  let timeFrame = false;
  const render = () => {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const start = performance.now();
      renderer.render(scene, camera);
      // The first frame after a mesh arrives is timed, as the other stages are, as a
      // performance measure (`cargo xtask bench viewer` reads them); later frames are not,
      // so that turning the view leaves no trail of entries.
      if (timeFrame) performance.measure("viewer frame", { start });
      timeFrame = false;
      canvas.dataset.frames = String(Number(canvas.dataset.frames || 0) + 1);
    });
  };
  controls.addEventListener("change", render);
  const resize = () => {
    const width = canvas.clientWidth || 1;
    const height = canvas.clientHeight || 1;
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
    render();
  };
  const observer = new ResizeObserver(resize);
  observer.observe(canvas);
  resize();
  const aborts = new AbortController();

  function fit() {
    const box = new THREE.Box3();
    for (const mesh of meshes) box.expandByObject(mesh);
    if (box.isEmpty()) return;
    const sphere = box.getBoundingSphere(new THREE.Sphere());
    const radius = Math.max(sphere.radius, 1e-3);
    const distance = radius / Math.sin(THREE.MathUtils.degToRad(camera.fov / 2)) * 1.05;
    const direction = new THREE.Vector3(1, -1.4, 0.9).normalize();
    camera.near = distance / 100;
    camera.far = distance * 100;
    camera.updateProjectionMatrix();
    home = [sphere.center.clone().addScaledVector(direction, distance), sphere.center.clone()];
    reset();
  }

  function reset() {
    if (!home) return;
    camera.position.copy(home[0]);
    controls.target.copy(home[1]);
    controls.update();
    render();
  }

  return {
    // Adds the mesh at `url`, coloured by `kind` (model, added, removed or same); resolves
    // to its triangle count once it is drawn.
    async add(url, kind = "model", opacity = 1) {
      const fetched = performance.now();
      const response = await fetch(url, { signal: aborts.signal });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const positions = new Float32Array(await response.arrayBuffer());
      performance.measure("viewer fetch", { start: fetched });
      const prepared = performance.now();
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute("position", new THREE.BufferAttribute(positions, 3));
      const material = new THREE.MeshStandardMaterial({
        color: COLORS[kind] ?? COLORS.model,
        // Normals from the screen-space slope of each triangle, on the GPU: no normal buffer
        // to compute on the main thread (a million triangles took most of a second).
        flatShading: true,
        roughness: 0.75,
        metalness: 0.05,
        side: THREE.DoubleSide,
        transparent: opacity < 1,
        opacity,
        depthWrite: opacity >= 1,
      });
      const mesh = new THREE.Mesh(geometry, material);
      meshes.push(mesh);
      scene.add(mesh);
      fit();
      performance.measure("viewer prepare", { start: prepared });
      timeFrame = true;
      return positions.length / 9;
    },
    reset,
    wireframe(on) {
      for (const mesh of meshes) mesh.material.wireframe = on;
      render();
    },
    // Turns the view around the target: `right` and `up` in degrees.
    orbit(right, up) {
      const offset = camera.position.clone().sub(controls.target);
      offset.applyAxisAngle(UP, THREE.MathUtils.degToRad(-right));
      const side = new THREE.Vector3().crossVectors(offset, UP).normalize();
      const turned = offset.clone().applyAxisAngle(side, THREE.MathUtils.degToRad(up));
      // Not over the top: the view would flip.
      if (Math.abs(turned.clone().normalize().dot(UP)) < 0.995) offset.copy(turned);
      camera.position.copy(controls.target).add(offset);
      controls.update();
      render();
    },
    // Moves the view sideways and up by fractions of the distance to the target.
    pan(right, up) {
      const distance = camera.position.distanceTo(controls.target);
      const x = new THREE.Vector3().setFromMatrixColumn(camera.matrix, 0);
      const y = new THREE.Vector3().setFromMatrixColumn(camera.matrix, 1);
      const move = x.multiplyScalar(right * distance).add(y.multiplyScalar(up * distance));
      camera.position.add(move);
      controls.target.add(move);
      controls.update();
      render();
    },
    // Moves closer (factor < 1) or away (factor > 1).
    zoom(factor) {
      const offset = camera.position.clone().sub(controls.target).multiplyScalar(factor);
      camera.position.copy(controls.target).add(offset);
      controls.update();
      render();
    },
    dispose() {
      aborts.abort();
      observer.disconnect();
      controls.dispose();
      for (const mesh of meshes) {
        mesh.geometry.dispose();
        mesh.material.dispose();
      }
      if (frame) cancelAnimationFrame(frame);
      renderer.dispose();
    },
  };
}

window.atelierViewer = { create };
