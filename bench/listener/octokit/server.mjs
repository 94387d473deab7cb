// @octokit/webhooks as a peer of the CicdOps listener: verifies the signature, parses the push, answers 200 —
// and records nothing. PORT and SECRET from the environment; prints "ready" once listening.
import http from "node:http";
import { Webhooks, createNodeMiddleware } from "@octokit/webhooks";

const webhooks = new Webhooks({ secret: process.env.SECRET });
webhooks.on("push", () => {});
const middleware = createNodeMiddleware(webhooks, { path: "/webhook" });
http.createServer(middleware).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
