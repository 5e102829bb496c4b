/**
 * The config checks the schema cannot express, each beside what it checks: the program (index.ts) and the
 * offline plan (tools/plan) run the same list, so a bad override stops before anything runs.
 */
import type { ConfigCheck } from "../config";
import { addonConfigCheck } from "./addons/catalog";
import { cutoverConfigCheck } from "./edge/cutover";

export const CONFIG_CHECKS: ConfigCheck[] = [addonConfigCheck, cutoverConfigCheck];
