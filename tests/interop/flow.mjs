// An OpenID client nobody here wrote (panva's openid-client) runs discovery, the code flow with
// PKCE, userInfo and refresh against Local Cognito. It signs in the way a browser would: follows
// the authorize redirect to the hosted sign-in page, posts the form with its CSRF token, and takes
// the code from the redirect to the callback. Prints one JSON line with what it saw.
//
// Environment: ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, USERNAME, PASSWORD.
import * as client from 'openid-client';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`missing environment variable ${name}`);
  return value;
};

const cookieJar = new Map();
const remember = (response) => {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    cookieJar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
};
const cookieHeader = () => [...cookieJar].map(([k, v]) => `${k}=${v}`).join('; ');
const unescapeHtml = (s) => s.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'");

async function get(url) {
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader() } });
  remember(response);
  return response;
}

/** Follow redirects on the provider until the sign-in form appears, then submit it. */
async function signIn(authorizationUrl, redirectUri, username, password) {
  let url = authorizationUrl;
  let response = await get(url);
  while (response.status === 302 || response.status === 303) {
    url = new URL(response.headers.get('location'), url).href;
    if (url.startsWith(redirectUri)) return url;
    response = await get(url);
  }
  if (response.status !== 200) throw new Error(`sign-in page answered ${response.status}`);
  const html = await response.text();
  const csrf = html.match(/name="_csrf"\s+value="([^"]*)"/) ?? html.match(/value="([^"]*)"\s+name="_csrf"/);
  const action = html.match(/<form[^>]*action="([^"]*)"/);
  const target = new URL(action ? unescapeHtml(action[1]) : url, url).href;
  const body = new URLSearchParams({ username, password });
  if (csrf) body.set('_csrf', unescapeHtml(csrf[1]));
  const posted = await fetch(target, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  remember(posted);
  const location = posted.headers.get('location');
  if (!location || !location.startsWith(redirectUri)) {
    throw new Error(`sign-in form answered ${posted.status} without a redirect to the callback`);
  }
  return location;
}

const issuer = new URL(env('ISSUER'));
const redirectUri = env('REDIRECT_URI');
const config = await client.discovery(
  issuer,
  env('CLIENT_ID'),
  undefined,
  client.ClientSecretBasic(env('CLIENT_SECRET')),
  { execute: [client.allowInsecureRequests] },
);
// Check ID-token signatures against the provider's JWKS, not only the TLS channel.
client.enableNonRepudiationChecks(config);

const codeVerifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authorizationUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid email profile',
  code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});

const callback = await signIn(authorizationUrl.href, redirectUri, env('USERNAME'), env('PASSWORD'));
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: codeVerifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userInfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const refreshedClaims = refreshed.claims();

console.log(JSON.stringify({
  issuer: config.serverMetadata().issuer,
  sub: claims.sub,
  email: claims.email,
  nonceMatched: claims.nonce === nonce,
  userInfoSub: userInfo.sub,
  userInfoEmail: userInfo.email,
  userInfoEmailVerified: userInfo.email_verified,
  refreshedSub: refreshedClaims?.sub,
  refreshedAccessTokenDiffers: refreshed.access_token !== tokens.access_token,
  refreshTokenReturnedOnRefresh: Boolean(refreshed.refresh_token),
}));
