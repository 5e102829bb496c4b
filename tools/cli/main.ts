/** `eks-delivery <command> [options]`: the program's entry (tools/cli/bin.js runs it through tsx). */
import { runAndExit } from "./command";
import { eksDelivery } from "./program";

void runAndExit(eksDelivery(), process.argv.slice(2));
