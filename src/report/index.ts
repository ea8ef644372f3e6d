export * from "./html.js";
